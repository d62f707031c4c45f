import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPlotArgs } from '../src/logic/args';
import type { SurfaceResult } from '../src/logic/protocol';
import { initialState, reduce } from '../src/logic/state';
import { slidersFor } from '../src/logic/view';

// Vector input (docs/protocol.md, "Vector input"): `def three(x)` reading x[0], x[1], x[2]
// is a surface over x[0] and x[1]; x[2] is held at 0 and reported in `fixed` as "x[2]".
function vectorSurface(fixed: SurfaceResult['fixed']): SurfaceResult {
  return {
    function: 'three', file: '/w/v.py', line: 4, variables: ['x[0]', 'x[1]'], fixed,
    domain: [-5, 5], ydomain: [-5, 5], order: 1, method: 'autograd',
    x: [0, 1], y: [0, 1], f: [[0, 1], [1, 2]],
    gradient: { x: [[1, 1], [1, 1]], y: [[1, 1], [1, 1]] },
    critical_points: [], discontinuities: [], formula: null, warnings: [],
    image: { format: 'png', data: 'AAAA', width: 1200, height: 900, scale: 2, axes: [] },
    sandbox: [], elapsed_ms: 10,
  };
}

describe("a vector's held components get sliders", () => {
  it('x[2] held at 0 moves over [-1, 1], and a move is sent as the params key "x[2]"', () => {
    const target = { uri: 'file:///w/v.py', position: { line: 3, character: 4 } };
    let s = reduce(initialState(), { type: 'request', origin: 'open', target });
    s = reduce(s, { type: 'result', seq: s.seq, result: vectorSurface({ 'x[2]': 0, scale: 2 }) });
    const sliders = slidersFor(s);
    assert.deepEqual(
      sliders.map((v) => [v.name, v.min, v.max, v.value]),
      [['x[2]', -1, 1, 0], ['scale', 0, 4, 2]],
    );
    s = reduce(s, { type: 'param', name: 'x[2]', value: 0.75 });
    const args = buildPlotArgs(target, s.overrides, { theme: 'light' });
    assert.deepEqual(args.params, { 'x[2]': 0.75 });
    assert.equal(slidersFor(s).find((v) => v.name === 'x[2]')?.changed, true);
  });
});
