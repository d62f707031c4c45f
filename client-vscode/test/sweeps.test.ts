import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pending } from '../src/logic/prefetch';
import { SweepCache } from '../src/logic/sweeps';

interface Sweep {
  param: string;
  at: string;
}

/** A sweep request whose answer (or failure) the test gives, recording whether it was cancelled. */
function request(log: string[], name: string): Pending<Sweep> & { answer(): void; fail(): void; cancelled: boolean } {
  let answer: (v: Sweep) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const r = {
    result: new Promise<Sweep>((resolve, reject) => {
      answer = resolve;
      fail = reject;
    }),
    cancelled: false,
    cancel() {
      r.cancelled = true;
      log.push(`cancel ${name}`);
      fail(new Error('cancelled'));
    },
    answer: () => answer({ param: 'a', at: name }),
    fail: () => fail(new Error('the server is gone')),
  };
  log.push(`ask ${name}`);
  return r;
}

describe('the slider sweeps the panel keeps', () => {
  it('asks the server once for the same arguments, answered or on its way', async () => {
    const log: string[] = [];
    const cache = new SweepCache<Sweep>();
    const first = request(log, 'k1');
    const onItsWay = cache.get('k1', () => first);
    const again = cache.get('k1', () => request(log, 'k1 again'));
    first.answer();
    assert.deepEqual(await onItsWay, { param: 'a', at: 'k1' });
    assert.equal(await again, await onItsWay);
    assert.equal(await cache.get('k1', () => request(log, 'k1 a third time')), await onItsWay);
    assert.deepEqual(log, ['ask k1']);
  });

  it('asks again after an edit (forget), and for other arguments, cancelling the one running', async () => {
    const log: string[] = [];
    const cache = new SweepCache<Sweep>();
    const old = request(log, 'k1');
    void cache.get('k1', () => old).catch(() => undefined);
    old.answer();
    await old.result;
    cache.forget(); // the function was edited: the same arguments no longer mean the same curves
    const edited = request(log, 'k1 edited');
    void cache.get('k1', () => edited).catch(() => undefined);
    void cache.get('k2', () => request(log, 'k2')).catch(() => undefined);
    assert.deepEqual(log, ['ask k1', 'ask k1 edited', 'cancel k1 edited', 'ask k2']);
    assert.ok(!old.cancelled); // answered before: nothing to cancel
    assert.equal(cache.key, 'k2');
  });

  it('does not keep a failed or cancelled sweep: the next press asks again', async () => {
    const log: string[] = [];
    const cache = new SweepCache<Sweep>();
    const failing = request(log, 'k1');
    const asked = cache.get('k1', () => failing);
    failing.fail(); // the server went away
    await assert.rejects(asked, /the server is gone/);
    assert.equal(cache.key, undefined);
    const cancelled = request(log, 'k1 again');
    const running = cache.get('k1', () => cancelled);
    cache.cancel(); // the thumb was let go: the sharp image goes first
    await assert.rejects(running);
    assert.equal(cache.key, undefined);
    const third = request(log, 'k1 third');
    void cache.get('k1', () => third);
    assert.deepEqual(log, ['ask k1', 'ask k1 again', 'cancel k1 again', 'ask k1 third']);
  });

  it('knows which sweep the webview holds, so that the arrays go to it once', async () => {
    const log: string[] = [];
    const cache = new SweepCache<Sweep>();
    const r = request(log, 'k1');
    const pending = cache.get('k1', () => r);
    r.answer();
    const sweep = await pending;
    assert.equal(cache.sent(sweep), false); // first time: the arrays are sent
    assert.equal(cache.sent(await cache.get('k1', () => request(log, 'x'))), true); // asked again: named
    const other = { param: 'a', at: 'k2' };
    assert.equal(cache.sent(other), false); // another sweep: sent, and now the one held
    assert.equal(cache.sent(sweep), false); // the first is no longer held: sent again
    cache.webviewReset(); // the webview was reloaded: it holds nothing
    assert.equal(cache.sent(sweep), false);
    assert.equal(cache.sent(sweep), true);
  });
});

describe('a sweep and an edit', () => {
  it('counts each forgetting, so that a sweep answered after an edit is known to be the old code', async () => {
    const log: string[] = [];
    const cache = new SweepCache<Sweep>();
    const before = cache.generation;
    const r = request(log, 'k1');
    const pending = cache.get('k1', () => r);
    r.answer(); // the server answered just as the edit came: too late to cancel
    cache.forget();
    assert.deepEqual(await pending, { param: 'a', at: 'k1' });
    assert.notEqual(cache.generation, before);
    assert.equal(cache.key, undefined);
    assert.equal(cache.sent({ param: 'a', at: 'k1' }), false); // the webview dropped its copy
  });
});
