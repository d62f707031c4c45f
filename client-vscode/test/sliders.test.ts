import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultBounds,
  heldNumbers,
  integerDefaults,
  niceFloor,
  parseBounds,
  positionFor,
  rangeAttributes,
  settable,
  sliderSpec,
  valueAt,
} from '../src/logic/sliders';
import { buildPlotArgs } from '../src/logic/args';
import { initialState, reduce } from '../src/logic/state';
import { slidersFor } from '../src/logic/view';
import { curvesResult } from './fixtures';

describe('slider ranges around the default', () => {
  it('0 gives [-1, 1], a positive v [0, 2v], a negative one mirrored', () => {
    assert.deepEqual(defaultBounds(0, false), { min: -1, max: 1 });
    assert.deepEqual(defaultBounds(1.5, false), { min: 0, max: 3 });
    assert.deepEqual(defaultBounds(-2, false), { min: -4, max: 0 });
    assert.deepEqual(defaultBounds(2e-4, false), { min: 0, max: 4e-4 });
  });
  it('an integer default moves in steps of 1 over at least ten of them', () => {
    assert.deepEqual(defaultBounds(3, true), { min: 0, max: 10 });
    assert.deepEqual(defaultBounds(8, true), { min: 0, max: 16 });
    assert.deepEqual(defaultBounds(0, true), { min: -10, max: 10 });
    assert.deepEqual(defaultBounds(-3, true), { min: -10, max: 0 });
    assert.equal(sliderSpec('n', 3, 3, true).step, 1);
  });
  it('a float slider has about 200 steps of 1, 2 or 5 × 10^k, the default on one of them', () => {
    assert.equal(niceFloor(0.015), 0.01);
    assert.equal(niceFloor(0.03), 0.02);
    assert.equal(niceFloor(70), 50);
    const s = sliderSpec('a', 1.5, 1.5, false);
    assert.equal(s.step, 0.01);
    assert.equal(valueAt(s, positionFor(s, 1.5)), 1.5);
    assert.deepEqual(rangeAttributes(s), { min: '0', max: '3', step: '0.01' });
  });
});

describe('slider positions and values', () => {
  it('a linear slider snaps to its step without float noise, within its bounds', () => {
    const s = sliderSpec('a', 1, 1, false, { min: 0, max: 3 });
    assert.equal(valueAt(s, '2.37'), 2.37);
    assert.equal(valueAt(s, '0.3'), 0.3);
    assert.equal(valueAt(s, 0.1 + 0.2), 0.3);
    assert.equal(valueAt(s, '9'), 3);
    assert.equal(positionFor(s, -4), '0');
  });
  it('an integer slider gives whole numbers', () => {
    const s = sliderSpec('n', 3, 3, true);
    assert.equal(valueAt(s, '6.6'), 7);
    assert.ok(Number.isInteger(valueAt(s, '4')));
  });
  it('a positive range of two decades or more moves logarithmically, 3 significant digits', () => {
    const s = sliderSpec('lr', 0.01, 0.01, false, { min: 0.001, max: 10 });
    assert.equal(s.log, true);
    assert.deepEqual(rangeAttributes(s), { min: '0', max: '1000', step: '1' });
    assert.equal(valueAt(s, 0), 0.001);
    assert.equal(valueAt(s, 1000), 10);
    assert.equal(valueAt(s, 500), 0.1); // the middle of 1e-3..1e1 is 1e-1
    assert.equal(valueAt(s, positionFor(s, 0.01)), 0.01);
    assert.equal(sliderSpec('a', 1, 1, false, { min: 0, max: 1000 }).log, false, 'a range from 0 stays linear');
    assert.equal(sliderSpec('n', 1, 1, true, { min: 1, max: 1000 }).log, false, 'integers stay linear');
  });
});

describe('editable bounds', () => {
  it('takes two numbers, the lower first', () => {
    assert.deepEqual(parseBounds(' -2 ', '5', false), { min: -2, max: 5 });
    assert.match(parseBounds('3', '1', false) as string, /lower bound/);
    assert.match(parseBounds('', '1', false) as string, /two numbers/);
    assert.match(parseBounds('a', '1', false) as string, /two numbers/);
  });
  it('rounds an integer parameter\'s bounds inwards', () => {
    assert.deepEqual(parseBounds('0.5', '7.7', true), { min: 1, max: 7 });
    assert.match(parseBounds('0.2', '0.8', true) as string, /lower bound/);
  });
});

describe('which held parameters get a slider', () => {
  it('numbers only: bools and text are shown, not slid', () => {
    assert.deepEqual(heldNumbers({ a: 1.5, flag: true, label: 'x', n: 3, gone: null }), [['a', 1.5], ['n', 3]]);
    assert.deepEqual(heldNumbers(undefined), []);
  });
  it('plain names and a constructor default as the result names it, Class(beta)', () => {
    assert.equal(settable('alpha_2'), true);
    assert.equal(settable('Act(beta)'), true);
    assert.equal(settable('x[2]'), true);
    for (const bad of ['Act(beta', 'Act()', '(beta)', 'Act(be ta)', 'x[8]', 'x[-1]', 'x[]', '']) assert.equal(settable(bad), false, bad);
  });
});

describe('integer defaults read from the source', () => {
  it('tells n=3 from a=1.0 (JSON cannot)', () => {
    const text = 'import torch\n\ndef f(x, a=1.0, n=3, m: int = 2, s="a,b", t=(1, 2), k=-4, e=1e3, h=0x10):\n    return x\n';
    assert.deepEqual([...integerDefaults(text, 2)].sort(), ['k', 'm', 'n']);
  });
  it('follows a signature over several lines, with comments', () => {
    const text = 'def g(\n    x,\n    steps=10,  # how many, e.g. 3.5\n    rate=0.5,\n):\n    return x\n';
    assert.deepEqual([...integerDefaults(text, 0)], ['steps']);
  });
  it('reads a lambda too', () => {
    assert.deepEqual([...integerDefaults('g = lambda x, n=2, a=0.5: x ** n * a\n', 0)], ['n']);
  });
  it("names a module constructor's integer defaults Class(name), for its forward only", () => {
    const text = [
      'class Before(nn.Module):',
      '    def __init__(self, k=5):',
      '        super().__init__()',
      '',
      'def plain(x, a=1.0, n=2):',
      '    return x',
      '',
      'class Act(nn.Module):',
      '    """An activation."""',
      '    def __init__(self, beta=1.0, steps=3, inplace=False):',
      '        super().__init__()',
      '',
      '    def forward(self, x, n=2, a=0.5):',
      '        return x',
      '',
    ].join('\n');
    assert.deepEqual([...integerDefaults(text, 12)].sort(), ['Act(steps)', 'n']);
    assert.deepEqual([...integerDefaults(text, 4)], ['n']);
  });
  it('finds nothing where there is no function', () => {
    assert.equal(integerDefaults('x = 1\n', 0).size, 0);
  });
});

describe("a module constructor's held values get sliders", () => {
  it('one per Class(name) number, whose moves are sent as that params key', () => {
    const target = { uri: 'file:///w/acts.py', position: { line: 12, character: 8 } };
    let s = reduce(initialState(), { type: 'request', origin: 'open', target });
    const fixed = { n: 2, 'Act(beta)': 1.0, 'Act(steps)': 3, 'Act(inplace)': false };
    s = reduce(s, { type: 'result', seq: s.seq, result: curvesResult({ function: 'Act.forward', file: '/w/acts.py', line: 13, fixed }) });
    const sliders = slidersFor(s);
    assert.deepEqual(
      sliders.map((v) => v.name),
      ['n', 'Act(beta)', 'Act(steps)'],
    );
    s = reduce(s, { type: 'param', name: 'Act(beta)', value: 2.5 });
    const args = buildPlotArgs(target, s.overrides, { theme: 'light' });
    assert.deepEqual(args.params, { 'Act(beta)': 2.5 });
    assert.equal(slidersFor(s).find((v) => v.name === 'Act(beta)')?.changed, true);
  });
});
