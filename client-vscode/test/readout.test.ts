import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AxesBox, CurvesResult, SurfaceResult, VectorCurvesResult } from '../src/logic/protocol';
import { areaAt, nearestIndex, pixelOfX, readoutAt, readoutText, xOfPixel } from '../src/logic/readout';

// Two rows sharing x in [-2, 2]: f in 100..500 × 50..250, f′ in 100..500 × 270..370 (image px).
const F: AxesBox = { name: 'f', box: [100, 50, 400, 200], xlim: [-2, 2], ylim: [0, 4] };
const D: AxesBox = { name: 'f′', box: [100, 270, 400, 100], xlim: [-2, 2], ylim: [-4, 4] };
const xs = [-2, -1, 0, 1, 2];
const curves: CurvesResult = {
  function: 'square', file: '/w/a.py', line: 3, variables: ['t'], fixed: {}, domain: [-2, 2], order: 2,
  method: 'autograd', x: xs, f: xs.map((x) => x * x), derivatives: { '1': xs.map((x) => 2 * x), '2': [2, 2, null, 2, 2] },
  critical_points: [0], inflection_points: [], discontinuities: [], formula: null, warnings: [], image: null, sandbox: [], elapsed_ms: 1,
};

describe('pixel <-> data', () => {
  it('maps a column to x and back', () => {
    assert.equal(xOfPixel(F, 400), 1);
    assert.equal(pixelOfX(F, -2), 100);
    assert.equal(pixelOfX(F, 2), 500);
  });
  it('finds the nearest of evenly spaced samples, clamped to the ends', () => {
    assert.equal(nearestIndex(xs, 0.49), 2);
    assert.equal(nearestIndex(xs, 0.51), 3);
    assert.equal(nearestIndex(xs, -7), 0);
    assert.equal(nearestIndex(xs, 7), 4);
    assert.equal(nearestIndex([], 1), -1);
  });
});

describe('curves', () => {
  it('reads the sample under the pointer: x, f and each derivative', () => {
    const r = readoutAt(curves, [F, D], 400, 120);
    assert.ok(r);
    assert.deepEqual(r.index, [3]);
    assert.deepEqual(r.values.map((v) => [v.label, v.value]), [['t', 1], ['f', 1], ['f′', 2], ['f″', 2]]);
    assert.equal(readoutText(r), 't = 1 · f = 1 · f′ = 2 · f″ = 2');
  });
  it('snaps to the nearest sample and marks it on every row', () => {
    const r = readoutAt(curves, [F, D], 395, 300)!; // x = 0.95 -> the sample at 1
    assert.equal(r.values[0].value, 1);
    assert.deepEqual(r.marks.map((m) => m.x), [400, 400]);
    // f(1) = 1 on ylim [0, 4] of 200 px from 50: 50 + 3/4 · 200; f′(1) = 2 on [-4, 4].
    assert.deepEqual(r.marks.map((m) => m.y), [200, 295]);
  });
  it('reads between the rows too, and nothing outside the plot areas', () => {
    assert.ok(readoutAt(curves, [F, D], 300, 260), 'the gap between f and f′');
    assert.equal(readoutAt(curves, [F, D], 50, 120), null, 'left of the boxes (tick labels)');
    assert.equal(readoutAt(curves, [F, D], 300, 20), null, 'above the first row (title)');
    assert.equal(readoutAt(curves, [F, D], 300, 400), null, 'below the last row');
    assert.equal(readoutAt(curves, [], 300, 100), null, 'no image areas');
  });
  it('shows a missing value as a dash', () => {
    const r = readoutAt(curves, [F, D], 300, 100)!; // x = 0: f″ is null there
    assert.equal(r.values[3].value, null);
    assert.equal(r.values[3].text, '—');
  });
  it('labels the components of a vector-valued f', () => {
    const vector: VectorCurvesResult = {
      ...curves, order: 1, outputs: 2, f: [xs, xs.map((x) => -x)], derivatives: { '1': [xs.map(() => 1), xs.map(() => -1)] }, critical_points: [[], []],
    };
    const r = readoutAt(vector, [F, D], 100, 60)!;
    assert.deepEqual(r.values.map((v) => `${v.label}=${v.value}`), ['t=-2', 'f[0]=-2', 'f[1]=2', 'f′[0]=1', 'f′[1]=-1']);
  });
});

describe('surface', () => {
  // Three maps of (x, y) in [0, 2] × [10, 30]: f, ∂f/∂x, ∂f/∂y.
  const boxes: AxesBox[] = [
    { name: 'f', box: [50, 50, 300, 300], xlim: [0, 2], ylim: [10, 30] },
    { name: '∂f/∂x', box: [420, 50, 150, 150], xlim: [0, 2], ylim: [10, 30] },
    { name: '∂f/∂y', box: [420, 220, 150, 150], xlim: [0, 2], ylim: [10, 30] },
  ];
  const surface: SurfaceResult = {
    function: 'g', file: '/w/a.py', line: 1, variables: ['u', 'v'], fixed: {}, domain: [0, 2], ydomain: [10, 30], order: 1,
    method: 'autograd', x: [0, 1, 2], y: [10, 20, 30],
    f: [[0, 1, 2], [10, 11, 12], [20, 21, 22]],
    gradient: { x: [[1, 1, 1], [1, 1, 1], [1, 1, 1]], y: [[5, 6, 7], [8, 9, 10], [11, 12, 13]] },
    critical_points: [], discontinuities: [], formula: null, warnings: [], image: null, sandbox: [], elapsed_ms: 1,
  };
  it('reads x, y, f and both partials at the grid point under the pointer, in any map', () => {
    // In the main map: x = 2 (right edge), y = 30 (top).
    const r = readoutAt(surface, boxes, 350, 50)!;
    assert.deepEqual(r.values.map((v) => [v.label, v.value]), [['u', 2], ['v', 30], ['f', 22], ['∂f/∂u', 1], ['∂f/∂v', 13]]);
    // In the ∂f/∂y map, its own coordinates: centre = (1, 20).
    const c = readoutAt(surface, boxes, 495, 295)!;
    assert.deepEqual(c.index, [1, 1]);
    assert.equal(c.values[2].value, 11);
  });
  it('draws a crosshair in every map, and reads nothing between them', () => {
    const r = readoutAt(surface, boxes, 200, 200)!;
    assert.equal(r.marks.length, 3);
    assert.ok(r.marks.every((m) => m.line && m.y !== null));
    assert.deepEqual([r.marks[1].x, r.marks[1].y], [495, 125]);
    assert.equal(areaAt(boxes, 385, 200, true), null);
  });
  it('reads g and f − g of a compared surface at the same grid point, after the partials', () => {
    const g = [[0, 0, 0], [1, 2, 3], [4, 5, 6]];
    const compared: SurfaceResult = {
      ...surface,
      compare: { function: 'h', f: g, derivatives: { x: g, y: g }, difference: surface.f.map((row, j) => row.map((v, i) => (v ?? 0) - g[j][i])) },
    };
    const r = readoutAt(compared, boxes, 350, 50)!;
    assert.deepEqual(r.values.slice(5).map((v) => [v.label, v.value]), [['g', 6], ['f − g', 16]]);
    assert.equal(readoutAt(surface, boxes, 350, 50)!.values.length, 5); // nothing compared: no g
  });
});

describe('beside f: the pinned polynomial, g and f − g', () => {
  it('reads T, g and f − g at the same sample as f, right after f', () => {
    // g(t) = t, so f − g = t² − t; T₁ at 1 of t²: 1 + 2(t − 1) = 2t − 1.
    const withBoth: CurvesResult = {
      ...curves,
      taylor: { at: 1, order: 1, coefficients: [1, 2], values: xs.map((t) => 2 * t - 1) },
      compare: { function: 'identity', f: xs, derivatives: { '1': xs.map(() => 1) }, difference: xs.map((t) => t * t - t) },
    };
    const r = readoutAt(withBoth, [F, D], 200, 120)!; // x = -1
    assert.deepEqual(r.values.map((v) => [v.label, v.value]), [['t', -1], ['f', 1], ['T₁', -3], ['g', -1], ['f − g', 2], ['f′', -2], ['f″', 2]]);
  });
  it('leaves out arrays of the wrong length (hostile or stale data)', () => {
    const bad: CurvesResult = { ...curves, taylor: { at: 0, order: 1, coefficients: [0, 0], values: [1, 2] } };
    const r = readoutAt(bad, [F, D], 200, 120)!;
    assert.deepEqual(r.values.map((v) => v.label), ['t', 'f', 'f′', 'f″']);
  });
});
