// When a dragged thumb comes to rest (docs/protocol.md, "Slider sweeps"): no new position
// for `ms` while the drag goes on. The panel then asks for the sharp image of that value,
// so that letting go there shows it at once instead of a round trip to the server later.

/** A hand settling on a value holds still longer than this between moves (125 Hz mice
 * send a move every 8 ms while it moves; a display frame is 17 ms). */
export const THUMB_REST_MS = 60;

export class ThumbRest {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly onRest: (name: string, value: number) => void,
  ) {}

  /** The thumb of `name` moved to `value` (while its previews are drawn). */
  moved(name: string, value: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onRest(name, value);
    }, this.ms);
  }

  /** The drag ended (released, or let go where it started): no rest to report. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
