import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as argsModule from '../src/logic/args';
import { buildPlotArgs, parseControls, typedValue } from '../src/logic/args';

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
  it('adds the panel controls, numbers and text as typed', () => {
    const args = buildPlotArgs(target, { domain: ['-pi', 'pi'], ydomain: [0, 1], order: 3, samples: 101 }, { theme: 'dark', format: 'svg' });
    assert.deepEqual(args, {
      uri: 'file:///w/demo.py',
      position: { line: 4, character: 6 },
      domain: ['-pi', 'pi'],
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
    (args.domain as [number, number])[0] = 99;
    args.position.line = 99;
    assert.equal(overrides.domain[0], 0);
    assert.equal(target.position.line, 4);
  });
});

describe('typedValue', () => {
  it('empty is unset', () => {
    assert.equal(typedValue(''), undefined);
    assert.equal(typedValue('   '), undefined);
    assert.equal(typedValue(undefined), undefined);
  });
  it('a number when the text is one', () => {
    assert.equal(typedValue('-1.5'), -1.5);
    assert.equal(typedValue(' 2e1 '), 20);
    assert.equal(typedValue('.5'), 0.5);
    assert.equal(typedValue('1e3'), 1000);
    assert.equal(typedValue('1000'), 1000);
  });
  it('else the text itself, for the server to read or refuse', () => {
    assert.equal(typedValue('pi'), 'pi');
    assert.equal(typedValue(' -2pi '), '-2pi');
    assert.equal(typedValue('pi/2'), 'pi/2');
    assert.equal(typedValue('abc'), 'abc');
    assert.equal(typedValue('Infinity'), 'Infinity');
    assert.equal(typedValue('0x10'), '0x10');
    assert.equal(typedValue('1e999'), '1e999'); // not finite as a number: the server says why
  });
});

describe('parseControls', () => {
  it('empty inputs mean no overrides', () => {
    assert.deepEqual(parseControls({ domainMin: '', domainMax: ' ', order: '', samples: '' }), { overrides: {}, errors: {} });
  });
  it('parses numbers and keeps other text', () => {
    assert.deepEqual(parseControls({ domainMin: '-1.5', domainMax: '2e1', order: '2', samples: '50' }).overrides, {
      domain: [-1.5, 20],
      order: 2,
      samples: 50,
    });
    assert.deepEqual(parseControls({ domainMin: '-pi', domainMax: '2pi' }).overrides, { domain: ['-pi', '2pi'] });
    assert.deepEqual(parseControls({ ydomainMin: '0', ydomainMax: '1' }).overrides, { ydomain: [0, 1] });
  });
  it('copies no server limits: out-of-range or odd values go to the server as typed', () => {
    const p = parseControls({ domainMin: '3', domainMax: '1', order: '7', samples: '1000' });
    assert.deepEqual(p, { overrides: { domain: [3, 1], order: 7, samples: 1000 }, errors: {} });
    assert.deepEqual(parseControls({ samples: '1.5' }).overrides, { samples: 1.5 });
    assert.deepEqual(parseControls({ samples: '100001' }).overrides, { samples: 100001 });
    assert.deepEqual(parseControls({ samples: 'many' }).overrides, { samples: 'many' });
    const limits = Object.keys(argsModule).filter((k) => /^(MIN|MAX)_/.test(k));
    assert.deepEqual(limits, []);
  });
  it('an interval with one end only: a local message beside it, the rest still parsed', () => {
    const q = parseControls({ domainMin: '1', domainMax: '', order: '4' });
    assert.deepEqual(q.overrides, { order: 4 });
    assert.deepEqual(Object.keys(q.errors), ['domain']);
    assert.match(q.errors.domain ?? '', /both ends/);
    assert.deepEqual(Object.keys(parseControls({ ydomainMin: '', ydomainMax: 'pi' }).errors), ['ydomain']);
  });
});

describe('buildPlotArgs for the panel', () => {
  it('sends the sliders\' params and the panel\'s image box', () => {
    const args = buildPlotArgs(target, { params: { a: 2.5 } }, { theme: 'light', box: { width: 800, height: 440, scale: 2 } });
    assert.deepEqual([args.params, args.width, args.height, args.scale], [{ a: 2.5 }, 800, 440, 2]);
  });
  it('a preview is drawn at pixel ratio 1, at the same size', () => {
    const args = buildPlotArgs(target, {}, { theme: 'light', box: { width: 800, height: 440, scale: 2 }, preview: true });
    assert.deepEqual([args.width, args.height, args.scale], [800, 440, 1]);
  });
  it('no params key without slider values, no size without a box', () => {
    const args = buildPlotArgs(target, { params: {} }, { theme: 'light' });
    assert.equal('params' in args, false);
    assert.equal('width' in args, false);
  });
});
