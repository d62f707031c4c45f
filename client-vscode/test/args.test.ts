import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPlotArgs, parseControls } from '../src/logic/args';

const target = { uri: 'file:///w/demo.py', position: { line: 4, character: 6 } };

describe('buildPlotArgs', () => {
  it('sends only the position, format, theme and size without overrides', () => {
    assert.deepEqual(buildPlotArgs(target, {}, { theme: 'light' }), {
      uri: 'file:///w/demo.py',
      position: { line: 4, character: 6 },
      format: 'png',
      theme: 'light',
      size: 'panel',
    });
  });
  it('adds the panel controls', () => {
    const args = buildPlotArgs(target, { domain: [-2, 3], ydomain: [0, 1], order: 3, samples: 101 }, { theme: 'dark', format: 'svg' });
    assert.deepEqual(args, {
      uri: 'file:///w/demo.py',
      position: { line: 4, character: 6 },
      domain: [-2, 3],
      ydomain: [0, 1],
      order: 3,
      samples: 101,
      format: 'svg',
      theme: 'dark',
      size: 'panel',
    });
  });
  it('copies the position and intervals (no aliasing of state)', () => {
    const overrides = { domain: [0, 1] as [number, number] };
    const args = buildPlotArgs(target, overrides, { theme: 'light' });
    args.domain![0] = 99;
    args.position.line = 99;
    assert.equal(overrides.domain[0], 0);
    assert.equal(target.position.line, 4);
  });
});

describe('parseControls', () => {
  it('empty inputs mean no overrides', () => {
    assert.deepEqual(parseControls({ domainMin: '', domainMax: ' ', order: '', samples: '' }), { overrides: {}, errors: [] });
  });
  it('parses numbers', () => {
    assert.deepEqual(parseControls({ domainMin: '-1.5', domainMax: '2e1', order: '2', samples: '50' }).overrides, {
      domain: [-1.5, 20],
      order: 2,
      samples: 50,
    });
    assert.deepEqual(parseControls({ ydomainMin: '0', ydomainMax: '1' }).overrides, { ydomain: [0, 1] });
  });
  it('rejects bad values with a message each and keeps the good ones', () => {
    const p = parseControls({ domainMin: '3', domainMax: '1', order: '7', samples: '1.5' });
    assert.deepEqual(p.overrides, {});
    assert.equal(p.errors.length, 3);
    assert.match(p.errors[0], /start must be smaller/);
    assert.match(p.errors[1], /Order/);
    assert.match(p.errors[2], /Samples/);
    const q = parseControls({ domainMin: '1', domainMax: '', order: '4' });
    assert.deepEqual(q.overrides, { order: 4 });
    assert.match(q.errors[0], /two numbers/);
  });
  it('rejects non-numbers', () => {
    assert.equal(parseControls({ domainMin: 'abc', domainMax: '1' }).errors.length, 1);
    assert.equal(parseControls({ samples: 'Infinity' }).errors.length, 1);
  });
});
