import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Kind, LiveRequests } from '../src/logic/live';

/** A drag whose request 1 (`kind`) went out at 0 ms; a preview is let finish for 250 ms. */
function inFlight(kind: Kind): LiveRequests {
  const live = new LiveRequests(250);
  live.started(1, kind, 0);
  return live;
}

describe('LiveRequests (a slider being dragged)', () => {
  it('sends the first preview at once', () => {
    const live = new LiveRequests(250);
    assert.equal(live.submit('preview', 0), 'send');
  });
  it('lets a young preview finish, then sends only the latest value', () => {
    const live = inFlight('preview');
    assert.equal(live.submit('preview', 10), 'wait');
    assert.equal(live.submit('preview', 20), 'wait');
    assert.equal(live.pending, true);
    assert.equal(live.finished(1), true, 'the waiting value goes out once the preview is back');
    assert.equal(live.pending, false);
    assert.equal(live.finished(1), false);
  });
  it('cancels a preview that takes too long (a slow function) for the newer value', () => {
    assert.equal(inFlight('preview').submit('preview', 300), 'send');
  });
  it('the release sends the full image at once, and nothing waits after it', () => {
    const live = inFlight('preview');
    assert.equal(live.submit('preview', 10), 'wait');
    assert.equal(live.submit('full', 20), 'send');
    live.started(2, 'full', 20);
    assert.equal(live.finished(1), false, 'the cancelled preview ends: it is not the one in flight');
    assert.equal(live.finished(2), false);
  });
  it('a preview after a full request in flight goes at once (cancelling it)', () => {
    assert.equal(inFlight('full').submit('preview', 5), 'send');
  });
  it('any other request replaces the preview in flight', () => {
    const live = inFlight('preview');
    live.started(2, 'full', 5); // an edit re-plotted
    assert.equal(live.submit('preview', 10), 'send');
  });
});
