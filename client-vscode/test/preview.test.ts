import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bracket, polylines, rowKey, seriesAt, sweepLimits } from '../src/logic/preview';
import type { SweepResult } from '../src/logic/protocol';
import { sliderSpec, sweepValues } from '../src/logic/sliders';

/** The sweep of f(x, a) = a·x² over `values`, as the server answers it (f and f′ = 2ax). */
function squareSweep(values: number[], xs: number[]): SweepResult {
  return {
    function: 'scaled',
    param: 'a',
    values,
    domain: [xs[0], xs[xs.length - 1]],
    order: 1,
    x: xs,
    f: values.map((a) => xs.map((x) => a * x * x)),
    derivatives: { '1': values.map((a) => xs.map((x) => 2 * a * x)) },
    elapsed_ms: 1,
  };
}

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('a sweep read at the thumb value', () => {
  const xs = [-2, -1, 0, 1, 2];
  const sweep = squareSweep([0, 1, 2, 3], xs);

  it('brackets a value between its two nearest swept values', () => {
    assert.deepEqual(bracket([0, 1, 2, 3], 1.25), { lo: 1, hi: 2, t: 0.25 });
    assert.deepEqual(bracket([0, 1, 2, 3], 2), { lo: 1, hi: 2, t: 1 });
    assert.deepEqual(bracket([0, 1, 2, 3], -5), { lo: 0, hi: 0, t: 0 });
    assert.deepEqual(bracket([0, 1, 2, 3], 7), { lo: 3, hi: 3, t: 0 });
  });

  it('is a·x² and 2a·x between swept values (linear in a, so exact)', () => {
    for (const a of [0, 0.4, 1.5, 2.75, 3]) {
      seriesAt(sweep, 'f', a).forEach((y, j) => close(y as number, a * xs[j] * xs[j]));
      seriesAt(sweep, '1', a).forEach((y, j) => close(y as number, 2 * a * xs[j]));
    }
  });

  it('is null where either neighbour is', () => {
    const holed = { ...sweep, f: sweep.f.map((row, i) => row.map((y, j) => (i === 2 && j === 1 ? null : y))) };
    assert.equal(seriesAt(holed, 'f', 1.5)[1], null);
    assert.equal(seriesAt(holed, 'f', 0.5)[1], 0.5);
  });

  it('keeps y limits still over the whole drag: the range of every value, 5% margins', () => {
    // f = a·x² over a in 0..3 and x in -2..2 spans 0..12; f′ = 2ax spans -12..12.
    const [lo, hi] = sweepLimits(sweep, 'f');
    close(lo, -0.6);
    close(hi, 12.6);
    assert.deepEqual(sweepLimits(sweep, '1'), [-13.2, 13.2]);
    assert.deepEqual(sweepLimits(squareSweep([0, 0], xs), 'f'), [-1, 1]);
  });

  it('names rows as the image does', () => {
    assert.deepEqual(['f', 'f′', 'f″', 'f‴', 'f⁽⁴⁾', 'f − g'].map(rowKey), ['f', '1', '2', '3', '4', null]);
  });
});

describe('array to canvas pixels', () => {
  const axes = { box: [50, 20, 400, 100] as [number, number, number, number], xlim: [-2, 2] as [number, number] };

  it('puts xlim at the box edges and ylim at its bottom and top, scaled by k', () => {
    const [line] = polylines([-2, 0, 2], [0, 5, 10], axes, [0, 10], 2);
    assert.deepEqual(line, [
      [100, 240],
      [500, 140],
      [900, 40],
    ]);
  });

  it('breaks the line at nulls and keeps a point far outside just past the box', () => {
    const lines = polylines([-2, -1, 0, 1, 2], [1, null, 2, 1e9, 3], axes, [0, 10], 1);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0], [[50, 110]]);
    assert.equal(lines[1][1][1], 19); // one pixel above the box's top
  });
});

describe('the values of a slider sweep', () => {
  it('spans a linear range evenly, both ends included', () => {
    const v = sweepValues(sliderSpec('a', 1.5, 1.5, false), 64);
    assert.equal(v.length, 64);
    assert.equal(v[0], 0);
    assert.equal(v[63], 3);
    close(v[21], 1, 1e-12);
  });

  it('spans a logarithmic range evenly in log', () => {
    const v = sweepValues(sliderSpec('lr', 0.1, 0.1, false, { min: 0.001, max: 10 }), 5);
    [0.001, 0.01, 0.1, 1, 10].forEach((want, i) => close(v[i], want, want * 1e-12));
  });

  it('takes every whole number of a short integer range, distinct ones of a long one', () => {
    assert.deepEqual(sweepValues(sliderSpec('n', 3, 3, true), 64), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const long = sweepValues(sliderSpec('n', 3, 3, true, { min: 0, max: 1000 }), 64);
    assert.equal(long.length, 64);
    assert.ok(long.every((n, i) => Number.isInteger(n) && (i === 0 || n > long[i - 1])));
    assert.equal(long[63], 1000);
  });
});
