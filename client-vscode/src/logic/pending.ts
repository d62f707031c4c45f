// A toggle the user just changed keeps the value they gave it until a view from the
// extension agrees: a view sent before the change (a plot that was on its way) must not
// flip the checkbox back under the pointer.

export class PendingToggle {
  private wanted: boolean | null = null;

  /** The user set it to `on`: shown so until a view says the same. Returns `on`. */
  set(on: boolean): boolean {
    this.wanted = on;
    return on;
  }

  /** What the toggle shows for a view whose value is `value`. */
  shown(value: boolean): boolean {
    if (this.wanted === value) this.wanted = null;
    return this.wanted ?? value;
  }
}
