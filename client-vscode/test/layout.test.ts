import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boxChanged, boxFor, imageBox, rowsFor } from '../src/logic/layout';

describe('imageBox', () => {
  it('is as wide as the plot area, about 0.55 of that tall for f and f′, at the pixel ratio', () => {
    assert.deepEqual(imageBox(800.7, 1000, 2, 2), { width: 800, height: 440, scale: 2 });
  });
  it('gives more rows more height, but stays within the view', () => {
    assert.equal(imageBox(800, 2000, 5, 1).height, Math.round(800 * (0.55 + 0.27)));
    assert.equal(imageBox(800, 400, 5, 1).height, 340);
  });
  it('keeps to what the server draws: at least 240×150, a ratio from 1 to 4', () => {
    assert.deepEqual(imageBox(100, 100, 2, 0.5), { width: 240, height: 150, scale: 1 });
    assert.equal(imageBox(800, 1000, 2, 6).scale, 4);
    assert.equal(imageBox(800, 1000, 2, Number.NaN).scale, 1);
    assert.equal(imageBox(800, 1000, 2, 1.25).scale, 1.25);
  });
  it('a surface: 0.6 of the width, as tall as wide in a narrow panel (partials under f)', () => {
    assert.equal(imageBox(1000, 1000, 1, 1, true).height, 600);
    assert.equal(imageBox(589, 1000, 1, 1, true).height, 589);
    assert.equal(imageBox(589, 500, 1, 1, true).height, 425);
    // Compared in a narrow panel: taller, for f − g's row under the partials; not when wide.
    assert.equal(imageBox(589, 1000, 1, 1, true, true).height, Math.round(589 * 1.3));
    assert.equal(imageBox(589, 800, 1, 1, true, true).height, 680);
    assert.equal(imageBox(1000, 1000, 1, 1, true, true).height, 600);
  });
  it('boxFor a measure', () => {
    assert.deepEqual(boxFor({ width: 600, viewHeight: 900, ratio: 1 }, 2), { width: 600, height: 330, scale: 1 });
  });
});

describe('rowsFor', () => {
  it('f and each derivative up to the fourth; one map for a surface', () => {
    assert.equal(rowsFor(false, 1), 2);
    assert.equal(rowsFor(false, 3), 4);
    assert.equal(rowsFor(false, 9), 5);
    assert.equal(rowsFor(false, 'pi'), 2);
    assert.equal(rowsFor(true, 3), 1);
  });
});

describe('boxChanged', () => {
  it('a pixel or another ratio is a change; nothing else is', () => {
    const a = { width: 800, height: 440, scale: 2 };
    assert.equal(boxChanged(null, a), true);
    assert.equal(boxChanged(a, { ...a }), false);
    assert.equal(boxChanged(a, { ...a, width: 801 }), true);
    assert.equal(boxChanged(a, { ...a, scale: 1 }), true);
  });
});
