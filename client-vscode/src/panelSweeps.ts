// The panel's slider sweeps (docs/protocol.md, "Slider sweeps"): one asked for as a drag
// is about to start, kept while the same sweep is asked again, cancelled on release so the
// sharp image goes first. No maths: the webview draws the previews (webview/preview.ts).
import * as vscode from 'vscode';
import type { PlotArgs, SweepRequest, SweepResult } from './logic/protocol';

type SweepArgs = PlotArgs & { sweep: SweepRequest };
type Ask = (args: SweepArgs, token: vscode.CancellationToken) => Promise<SweepResult>;

export class PanelSweeps {
  /** The sweep in flight, and the last one asked for (its arguments as the key). */
  private inFlight: vscode.CancellationTokenSource | undefined;
  private last: { key: string; result: Promise<SweepResult> } | undefined;

  /** The sweep for `args`: the one there or on its way if the same, else a new one. Null on any failure. */
  async get(args: SweepArgs, ask: Ask): Promise<SweepResult | null> {
    const key = JSON.stringify(args);
    if (this.last?.key !== key) {
      this.inFlight?.cancel();
      const cts = new vscode.CancellationTokenSource();
      this.inFlight = cts;
      const asked = ask(args, cts.token);
      this.last = { key, result: asked };
      const done = () => {
        if (this.inFlight === cts) this.inFlight = undefined;
        cts.dispose();
      };
      asked.then(done, () => {
        done();
        if (this.last?.result === asked) this.last = undefined; // not kept: asked again next time
      });
    }
    try {
      return await this.last!.result;
    } catch {
      return null;
    }
  }

  /** The thumb moves without a sweep, or was released: the plots go first. */
  cancel(): void {
    this.inFlight?.cancel();
  }
}
