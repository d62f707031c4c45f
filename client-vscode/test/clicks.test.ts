import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { AxesBox } from '../src/logic/protocol';
import { initialState, reduce } from '../src/logic/state';
import { toView, type ViewModel } from '../src/logic/view';
import { doubleClicked, plotClicked } from '../src/webview/tangent';
import { curvesResult } from './fixtures';

// sin on [0, 2]: the plot a click pins a tangent on (one variable, one output).
const xs = [0, 0.5, 1, 1.5, 2];
const curves = curvesResult({ function: 'wave', line: 1, domain: [0, 2], x: xs, f: xs.map(Math.sin), derivatives: { '1': xs.map(Math.cos) } });
const target = { uri: 'file:///w/a.py', position: { line: 0, character: 4 } };
// Pixel column 100 + 50k is x = k/2 on this plot area.
const area: AxesBox = { name: 'f', box: [100, 10, 200, 100], xlim: [0, 2], ylim: [-1, 1] };

function view(pinnedAt: number | null): ViewModel {
  let s = reduce(initialState(), { type: 'request', origin: 'open', target });
  s = reduce(s, { type: 'result', seq: s.seq, result: curves });
  if (pinnedAt !== null) s = reduce(s, { type: 'pin', at: pinnedAt });
  return toView(s);
}

describe('a click pins, a double-click pins nothing', () => {
  // Each test's clicks come later than the last test's, as the event clock runs on.
  let base = 0;
  const at = (ms: number) => base + ms;
  let posted: unknown[];
  const post = (m: unknown) => posted.push(m);
  beforeEach(() => {
    posted = [];
    base += 100_000;
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());

  it('pins where a lone click was, once the double-click time has passed', () => {
    plotClicked(area, 150, at(1000), view(null), post);
    mock.timers.tick(299);
    assert.deepEqual(posted, []);
    mock.timers.tick(1);
    assert.deepEqual(posted, [{ type: 'pin', at: 0.5 }]);
  });

  it('sends nothing for a quick double-click', () => {
    plotClicked(area, 150, at(1000), view(null), post);
    mock.timers.tick(120);
    plotClicked(area, 150, at(1120), view(null), post);
    doubleClicked(at(1121), post);
    mock.timers.tick(1000);
    assert.deepEqual(posted, []);
  });

  it('takes back the pin of a slow double-click’s first click: unpinned if nothing was pinned', () => {
    plotClicked(area, 150, at(1000), view(null), post);
    mock.timers.tick(300); // the pin went out before the second click was handled
    plotClicked(area, 150, at(1380), view(0.5), post);
    doubleClicked(at(1381), post);
    mock.timers.tick(1000);
    assert.deepEqual(posted, [{ type: 'pin', at: 0.5 }, { type: 'unpin' }]);
  });

  it('puts back the tangent pinned before the slow double-click', () => {
    plotClicked(area, 250, at(1000), view(1.5), post); // x = 1.5 pinned; the click is at x = 1.5 too
    plotClicked(area, 200, at(1000), view(1.5), post); // the click is at x = 1
    mock.timers.tick(300);
    doubleClicked(at(1400), post);
    assert.deepEqual(posted, [{ type: 'pin', at: 1 }, { type: 'pin', at: 1.5 }]);
  });

  it('leaves a pin alone that a click made longer ago than a double-click can span', () => {
    plotClicked(area, 150, at(1000), view(null), post);
    mock.timers.tick(300);
    doubleClicked(at(1501), post);
    assert.deepEqual(posted, [{ type: 'pin', at: 0.5 }]);
  });
});
