import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CurvesResult, Taylor } from '../src/logic/protocol';
import { initialState, type PanelState, reduce } from '../src/logic/state';
import { canPin, keepInside, pinX, taylorLabel, taylorText } from '../src/logic/tangent';
import { toView } from '../src/logic/view';

const xs = [0, 0.5, 1, 1.5, 2];
const curves: CurvesResult = {
  function: 'wave', file: '/w/a.py', line: 1, variables: ['x'], fixed: {}, domain: [0, 2], order: 1,
  method: 'autograd', x: xs, f: xs.map(Math.sin), derivatives: { '1': xs.map(Math.cos) },
  critical_points: [], inflection_points: [], discontinuities: [], formula: null, warnings: [], image: null, sandbox: [], elapsed_ms: 1,
};
const target = { uri: 'file:///w/a.py', position: { line: 0, character: 4 } };

function shown(result: CurvesResult = curves): PanelState {
  let s = reduce(initialState(), { type: 'request', origin: 'open', target });
  s = reduce(s, { type: 'result', seq: s.seq, result });
  return s;
}

describe('the polynomial as one line', () => {
  it('writes the coefficients with powers of (x − x0), signs as minus signs', () => {
    // sin at 1: sin 1, cos 1, −sin 1 / 2, computed here, not copied from an output.
    const t: Taylor = { at: 1, order: 2, coefficients: [Math.sin(1), Math.cos(1), -Math.sin(1) / 2], values: [] };
    assert.equal(taylorText(t), 'T₂(x) at x₀ = 1: 0.841 + 0.54(x − 1) − 0.421(x − 1)²');
  });
  it('writes x itself at 0, (x + a) left of 0, leaves out zero terms and a coefficient 1', () => {
    assert.equal(taylorText({ at: 0, order: 3, coefficients: [0, 1, 0, -1 / 6], values: [] }, 't'), 'T₃(t) at t₀ = 0: t − 0.167t³');
    assert.equal(taylorText({ at: -2, order: 1, coefficients: [4, -4], values: [] }), 'T₁(x) at x₀ = -2: 4 − 4(x + 2)');
    assert.equal(taylorText({ at: 3, order: 4, coefficients: [0, 0, 0, 0, 0], values: [] }), 'T₄(x) at x₀ = 3: 0');
    assert.equal(taylorLabel(4), 'T₄');
  });
});

describe('where a click pins', () => {
  it('rounds x0 to a thousandth of the domain width and keeps it inside the domain', () => {
    assert.equal(pinX(1.2318735, [-5, 5]), 1.23);
    assert.equal(pinX(0.0123456, [0, 0.1]), 0.0123);
    assert.equal(pinX(5.0004, [-5, 5]), 5);
  });
  it('keeps a pin inside a new domain, drops it outside, leaves it for a domain the server reads (pi)', () => {
    const pin = { at: 1.5, order: 2 };
    assert.deepEqual(keepInside(pin, [0, 2]), pin);
    assert.equal(keepInside(pin, [-1, 1]), null);
    assert.deepEqual(keepInside(pin, ['-pi', 'pi']), pin);
  });
});

describe('tangent state', () => {
  it('pins at the click with the picker order; the order picker changes it; unpin removes it', () => {
    let s = reduce(shown(), { type: 'taylorOrder', order: 3 });
    assert.equal(s.tangent, null);
    s = reduce(s, { type: 'pin', at: 1 });
    assert.deepEqual(s.tangent, { at: 1, order: 3 });
    s = reduce(s, { type: 'taylorOrder', order: 2 });
    assert.deepEqual(s.tangent, { at: 1, order: 2 });
    assert.equal(reduce(s, { type: 'taylorOrder', order: 5 }).taylorOrder, 2); // 1–4 only
    assert.equal(reduce(s, { type: 'unpin' }).tangent, null);
  });
  it('pins nothing on a surface or a vector-valued f', () => {
    assert.equal(canPin({ ...curves, variables: ['x', 'y'], gradient: { x: [], y: [] } } as never), false);
    assert.equal(canPin({ ...curves, outputs: 2 } as never), false);
  });
  it('keeps the pin through a zoom that contains x0, drops it in one that does not, and for another function', () => {
    const s = reduce(shown(), { type: 'pin', at: 1.5 });
    assert.deepEqual(reduce(s, { type: 'zoom', zoom: { domain: [1, 2] } }).tangent, { at: 1.5, order: 1 });
    assert.equal(reduce(s, { type: 'zoom', zoom: { domain: [0, 1] } }).tangent, null);
    assert.equal(reduce(s, { type: 'controls', overrides: { domain: [3, 4] } }).tangent, null);
    assert.equal(reduce(s, { type: 'request', origin: 'open', target }).tangent, null);
    assert.deepEqual(reduce(s, { type: 'request', origin: 'replot' }).tangent, { at: 1.5, order: 1 });
  });
  it('shows the line once the result has the polynomial asked for', () => {
    let s = reduce(shown(), { type: 'pin', at: 1 });
    assert.deepEqual(toView(s).tangent, { at: 1, order: 1, text: '', state: 'missing' });
    s = reduce(s, { type: 'request', origin: 'replot' });
    assert.equal(toView(s).tangent?.state, 'drawing');
    const taylor: Taylor = { at: 1, order: 1, coefficients: [Math.sin(1), Math.cos(1)], values: xs.map((x) => Math.sin(1) + Math.cos(1) * (x - 1)) };
    s = reduce(s, { type: 'result', seq: s.seq, result: { ...curves, taylor } });
    assert.equal(toView(s).tangent?.text, 'T₁(x) at x₀ = 1: 0.841 + 0.54(x − 1)');
    assert.equal(toView(s).tangent?.state, 'drawn');
    assert.equal(toView(s).canPin, true);
  });
});
