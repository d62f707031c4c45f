import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingToggle } from '../src/logic/pending';

describe('a toggle the user changed', () => {
  it('is not flipped back by a view sent before the change, and follows views after it agrees', () => {
    const follow = new PendingToggle();
    assert.equal(follow.shown(true), true); // the view's value while the user did nothing
    follow.set(false); // the user unticks it
    assert.equal(follow.shown(true), false); // a view from before the change arrives: still unticked
    assert.equal(follow.shown(false), false); // the view after it agrees
    assert.equal(follow.shown(true), true); // from then on the views decide (another window ticked it)
  });
});
