import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AxesBox } from '../src/logic/protocol';
import { bandOf, roundInterval, zoomOf } from '../src/logic/zoom';

const F: AxesBox = { name: 'f', box: [100, 50, 400, 200], xlim: [-2, 2], ylim: [0, 4] };

describe('roundInterval', () => {
  it('keeps about a thousandth of the length', () => {
    assert.deepEqual(roundInterval(0.2512345, 1.7432), [0.25, 1.74]);
    assert.deepEqual(roundInterval(1.0000123, 1.0003456), [1.000012, 1.000346]);
    assert.deepEqual(roundInterval(-312.44, 1200.9), [-312, 1201]);
  });
  it('sorts its ends and never collapses them', () => {
    assert.deepEqual(roundInterval(3, 1), [1, 3]);
    const [a, b] = roundInterval(0.123456789, 0.123456799);
    assert.ok(b > a);
  });
});

describe('zoomOf', () => {
  it('zooms curves to the x range dragged across, in either direction', () => {
    assert.deepEqual(zoomOf(F, [200, 100], [300, 120], false, 5), { domain: [-1, 0] });
    assert.deepEqual(zoomOf(F, [300, 100], [200, 100], false, 5), { domain: [-1, 0] });
  });
  it('clamps a drag that leaves the plot area to its edge', () => {
    assert.deepEqual(zoomOf(F, [400, 100], [900, 100], false, 5), { domain: [1, 2] });
  });
  it('a click (a drag shorter than the threshold) is not a zoom', () => {
    assert.equal(zoomOf(F, [200, 100], [203, 180], false, 5), null);
  });
  it('a surface zooms each direction the drag covers', () => {
    assert.deepEqual(zoomOf(F, [200, 50], [300, 150], true, 5), { domain: [-1, 0], ydomain: [2, 4] });
    assert.deepEqual(zoomOf(F, [200, 50], [202, 150], true, 5), { ydomain: [2, 4] });
  });
  it('the band drawn while dragging is the clamped range', () => {
    assert.deepEqual(bandOf(F, 600, 300), [300, 500]);
  });
});
