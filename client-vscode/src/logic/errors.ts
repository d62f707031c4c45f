// Turning whatever a request failed with into the `{kind, message}` the panel shows.
import { DERIVLENS_ERROR_CODE, ERROR_KINDS, type PlotError } from './types';

const KNOWN = new Set<string>(ERROR_KINDS);

/** Titles shown above the message in the panel's error box. */
export const ERROR_TITLES: Record<string, string> = {
  syntax: 'Syntax error',
  'not-found': 'No function here',
  'unsupported-signature': 'Unsupported signature',
  'user-error': 'The function raised an exception',
  timeout: 'Timed out',
  memory: 'Out of memory',
  blocked: 'Blocked by the sandbox',
  crashed: 'The evaluation crashed',
  internal: 'Internal error',
  client: 'derivlens client error',
  cancelled: 'Cancelled',
};

export function errorTitle(kind: string): string {
  return ERROR_TITLES[kind] ?? kind;
}

/** A JSON-RPC error (vscode-languageclient's ResponseError) or anything else thrown. */
export function toPlotError(e: unknown): PlotError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; data?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : String(e);
    const data = o.data as { kind?: unknown } | undefined;
    const kind = data && typeof data === 'object' && typeof data.kind === 'string' ? data.kind : undefined;
    if (kind && (KNOWN.has(kind) || o.code === DERIVLENS_ERROR_CODE)) return { kind, message };
    if (o.code === -32800) return { kind: 'cancelled', message: 'The request was cancelled.' };
    if (o.code === DERIVLENS_ERROR_CODE) return { kind: 'internal', message };
    if (typeof o.code === 'number') return { kind: 'internal', message: `${message} (JSON-RPC error ${o.code})` };
    return { kind: 'client', message };
  }
  return { kind: 'client', message: String(e) };
}
