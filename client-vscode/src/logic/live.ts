// Re-plotting while a slider is dragged: a cheap preview per position, the full image on
// release. The latest value always wins: a newer request cancels the one in flight
// (languageclient's CancellationToken -> $/cancelRequest -> the server kills the child) —
// except that a preview in flight for less than `patienceMs` is let finish, so that the
// plot moves while the thumb does instead of every request being cancelled by the next;
// the newest value then waits, and is sent as soon as that preview is back.

export type Kind = 'preview' | 'full';

export class LiveRequests {
  private inflight: { seq: number; kind: Kind; started: number } | null = null;
  private waiting = false;

  constructor(private readonly patienceMs: number) {}

  /** A new value: send it now (cancelling what is in flight), or wait for the preview in flight. */
  submit(kind: Kind, now: number): 'send' | 'wait' {
    const f = this.inflight;
    if (kind === 'preview' && f && f.kind === 'preview' && now - f.started < this.patienceMs) {
      this.waiting = true;
      return 'wait';
    }
    this.waiting = false;
    return 'send';
  }

  /** Request `seq` went out (any request of the panel: it replaces the one in flight). */
  started(seq: number, kind: Kind, now: number): void {
    this.inflight = { seq, kind, started: now };
  }

  /** Request `seq` is over: whether a waiting preview should go out now. */
  finished(seq: number): boolean {
    if (!this.inflight || this.inflight.seq !== seq) return false;
    this.inflight = null;
    const send = this.waiting;
    this.waiting = false;
    return send;
  }

  /** Whether a preview is waiting (for tests and the status line). */
  get pending(): boolean {
    return this.waiting;
  }
}
