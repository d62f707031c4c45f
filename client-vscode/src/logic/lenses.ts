// Code lenses from the server run `derivlens.plot` (a server command); the client runs them
// through its own command instead so that the result opens the panel.
export const SERVER_PLOT_COMMAND = 'derivlens.plot';
export const CLIENT_LENS_COMMAND = 'derivlens.openPlot';

export interface LensCommand {
  title: string;
  command: string;
  arguments?: unknown[];
}

/** Rewrites a lens command in place (and returns it); other commands are left alone. */
export function rewriteLensCommand<T extends LensCommand | undefined>(cmd: T): T {
  if (cmd && cmd.command === SERVER_PLOT_COMMAND) cmd.command = CLIENT_LENS_COMMAND;
  return cmd;
}

/** The target of a `derivlens.plot` argument list `[{uri, position}]`, if it has that shape. */
export function targetFromCommandArgs(args: unknown[] | undefined): { uri: string; position: { line: number; character: number } } | undefined {
  const a = args?.[0] as { uri?: unknown; position?: { line?: unknown; character?: unknown } } | undefined;
  if (!a || typeof a.uri !== 'string' || !a.position) return undefined;
  const { line, character } = a.position;
  if (typeof line !== 'number' || typeof character !== 'number') return undefined;
  return { uri: a.uri, position: { line, character } };
}

/**
 * Lines (0-based) that start a function definition: `def`/`async def` at any indentation and
 * `name = lambda`. A fallback for follow mode when the server's code lenses are off.
 */
export function scanDefLines(text: string): number[] {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(async\s+)?def\s+\w+/.test(lines[i]) || /^[A-Za-z_]\w*\s*(:[^=]+)?=\s*lambda\b/.test(lines[i])) out.push(i);
  }
  return out;
}
