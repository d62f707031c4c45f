import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { type Pending, Prefetch } from '../src/logic/prefetch';
import { THUMB_REST_MS, ThumbRest } from '../src/logic/rest';

/** A request whose answer the test gives, recording whether it was cancelled. */
function request(log: string[], name: string): Pending<string> & { answer(v: string): void; cancelled: boolean } {
  let answer: (v: string) => void = () => undefined;
  const r = {
    result: new Promise<string>((resolve) => (answer = resolve)),
    cancelled: false,
    cancel() {
      r.cancelled = true;
      log.push(`cancel ${name}`);
    },
    answer: (v: string) => answer(v),
  };
  log.push(`ask ${name}`);
  return r;
}

describe('the plot asked for where the thumb rests', () => {
  it('is what a release at that value takes, answered or still on its way', async () => {
    const log: string[] = [];
    const p = new Prefetch<string>();
    const a = request(log, 'a=1.5');
    p.ask('a=1.5', () => a);
    const taken = p.take('a=1.5');
    assert.equal(taken, a);
    a.answer('image at 1.5');
    assert.equal(await taken!.result, 'image at 1.5');
    assert.deepEqual(log, ['ask a=1.5']); // asked once, not again at the release
    assert.equal(p.key, undefined); // taken over: not taken twice
  });

  it('is asked once for the same value, and cancelled when the thumb rests elsewhere', () => {
    const log: string[] = [];
    const p = new Prefetch<string>();
    const first = request(log, 'a=1');
    p.ask('a=1', () => first);
    p.ask('a=1', () => request(log, 'a=1 again'));
    let second: ReturnType<typeof request> | undefined;
    p.ask('a=2', () => (second = request(log, 'a=2')));
    assert.deepEqual(log, ['ask a=1', 'cancel a=1', 'ask a=2']);
    assert.ok(second);
    assert.ok(first.cancelled && !second.cancelled);
    assert.equal(p.key, 'a=2');
  });

  it('is cancelled, not used, when the release is at another value', () => {
    const log: string[] = [];
    const p = new Prefetch<string>();
    const held = request(log, 'a=1');
    p.ask('a=1', () => held);
    assert.equal(p.take('a=1.01'), undefined);
    assert.ok(held.cancelled);
    assert.equal(p.key, undefined);
  });

  it('is forgotten (cancelled) after an edit or a setting change', () => {
    const log: string[] = [];
    const p = new Prefetch<string>();
    const held = request(log, 'a=1');
    p.ask('a=1', () => held);
    p.forget();
    assert.ok(held.cancelled);
    assert.equal(p.take('a=1'), undefined); // the release asks the server again
  });

  it('does not leave a failed request unhandled: the release that takes it sees the failure', async () => {
    const p = new Prefetch<string>();
    let fail: (e: Error) => void = () => undefined;
    const result = new Promise<string>((_, reject) => (fail = reject));
    p.ask('a=1', () => ({ result, cancel: () => undefined }));
    fail(new Error('timeout: the function ran 5 s'));
    await new Promise((r) => setImmediate(r)); // no unhandledRejection here
    await assert.rejects(p.take('a=1')!.result, /timeout: the function ran 5 s/);
  });
});

describe('a thumb at rest', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('is reported once it has not moved for the rest time, at its last value', () => {
    const rests: [string, number][] = [];
    const rest = new ThumbRest(THUMB_REST_MS, (n, v) => rests.push([n, v]));
    for (let k = 0; k < 10; k++) {
      rest.moved('a', 1 + k / 10);
      mock.timers.tick(8); // a mouse's moves, 8 ms apart
    }
    assert.deepEqual(rests, []);
    mock.timers.tick(THUMB_REST_MS - 9);
    assert.deepEqual(rests, []);
    mock.timers.tick(1);
    assert.deepEqual(rests, [['a', 1.9]]);
    mock.timers.tick(1000);
    assert.equal(rests.length, 1); // one report per rest
  });

  it('is not reported after the thumb is let go', () => {
    const rests: [string, number][] = [];
    const rest = new ThumbRest(THUMB_REST_MS, (n, v) => rests.push([n, v]));
    rest.moved('a', 2);
    mock.timers.tick(THUMB_REST_MS - 1);
    rest.stop();
    mock.timers.tick(1000);
    assert.deepEqual(rests, []);
  });
});
