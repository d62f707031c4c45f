// A slider's sharp image asked for before the release (docs/protocol.md, "Slider sweeps"):
// while the thumb rests mid-drag, the plot it would be let go at is asked for then, so that
// a release there takes the answer (or the request already on its way) instead of asking
// the server again. One is kept at a time, by its exact plot arguments; anything that could
// change its answer (an edit, a setting, another plot) forgets it.

/** A request on its way: its answer, and how to cancel it. */
export interface Pending<T> {
  result: Promise<T>;
  cancel(): void;
}

export class Prefetch<T> {
  private held: { key: string; pending: Pending<T> } | undefined;

  /** Ask for the plot of `key` (unless it is the one held): the one held before is cancelled. */
  ask(key: string, start: () => Pending<T>): void {
    if (this.held?.key === key) return;
    this.forget();
    const pending = start();
    pending.result.catch(() => undefined); // a failure is the release's to report, if it takes it
    this.held = { key, pending };
  }

  /**
   * The request for `key` if it is the one held: the caller takes it over (and cancels it
   * when it is superseded). Any other held one is cancelled: it is no longer wanted.
   */
  take(key: string): Pending<T> | undefined {
    const held = this.held;
    this.held = undefined;
    if (held?.key === key) return held.pending;
    held?.pending.cancel();
    return undefined;
  }

  /** Its answer may no longer be the plot's (an edit, a setting): cancelled and forgotten. */
  forget(): void {
    this.held?.pending.cancel();
    this.held = undefined;
  }

  /** The key held, if any (for tests). */
  get key(): string | undefined {
    return this.held?.key;
  }
}
