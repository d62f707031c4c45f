// The panel's slider sweeps, kept (docs/protocol.md, "Slider sweeps"): the last one asked
// for is kept by its exact arguments, so that the pointer coming back to a slider, or a
// press, finds it at once; and the extension remembers which one the webview already holds,
// so that asking again sends a word ("the same"), not the arrays again (about a megabyte
// of JSON through the editor's processes, which used to meet the sharp image of a release
// on its way and delay it). An edit, a setting or theme change forgets the sweep (the
// webview drops its copy too), a new webview holds none.
import type { Pending } from './prefetch';

export class SweepCache<T> {
  private last: { key: string; pending: Pending<T> } | undefined;
  private running: Pending<T> | undefined;
  private held: T | undefined;
  /** How many times what was kept was forgotten: a sweep asked for before an edit and
   * answered after it is the old code's, and is not to be used. */
  generation = 0;

  /** The sweep of `key`: the one kept (answered or on its way) if the same, else a new one. */
  get(key: string, start: () => Pending<T>): Promise<T> {
    if (this.last?.key !== key) {
      this.running?.cancel();
      const pending = start();
      this.last = { key, pending };
      this.running = pending;
      const settled = () => {
        if (this.running === pending) this.running = undefined;
      };
      pending.result.then(settled, () => {
        settled();
        if (this.last?.pending === pending) this.last = undefined; // a failure is not kept: asked again next time
      });
    }
    return this.last.pending.result;
  }

  /** A sweep still running gives way (the thumb moves without it, or was let go). */
  cancel(): void {
    this.running?.cancel();
  }

  /** Its answer may no longer be right (an edit, a setting, the theme): cancelled and dropped,
   * and the webview is to drop the one it holds. */
  forget(): void {
    this.cancel();
    this.running = undefined;
    this.last = undefined;
    this.held = undefined;
    this.generation++;
  }

  /** Whether the webview holds `sweep` already (it was the last one sent); it holds it from now. */
  sent(sweep: T): boolean {
    const same = this.held === sweep;
    this.held = sweep;
    return same;
  }

  /** A new webview (shown again, reloaded): it holds no sweep. */
  webviewReset(): void {
    this.held = undefined;
  }

  /** The key kept, if any (for tests). */
  get key(): string | undefined {
    return this.last?.key;
  }
}
