// Turning whatever a request failed with into the `{kind, message, option?}` the panel shows.
import { ERROR_KINDS, type ErrorKind } from './protocol';
import { type ClientErrorKind, DERIVLENS_ERROR_CODE, type PlotError } from './types';

const KNOWN = new Set<string>(ERROR_KINDS);

/** Titles shown above the message in the panel's error box: one for every kind. */
export const ERROR_TITLES: Record<ErrorKind | ClientErrorKind, string> = {
  syntax: 'Syntax error',
  'not-found': 'No function here',
  'unsupported-signature': 'Unsupported signature',
  'invalid-options': 'Invalid option',
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
  return (ERROR_TITLES as Record<string, string>)[kind] ?? kind;
}

function isServerKind(kind: string): kind is ErrorKind {
  return KNOWN.has(kind);
}

/** A JSON-RPC error (vscode-languageclient's ResponseError) or anything else thrown. */
export function toPlotError(e: unknown): PlotError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; data?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : String(e);
    const data = o.data && typeof o.data === 'object' ? (o.data as { kind?: unknown; option?: unknown }) : undefined;
    const kind = typeof data?.kind === 'string' ? data.kind : undefined;
    if (kind !== undefined && isServerKind(kind)) {
      const error: PlotError = { kind, message };
      if (typeof data?.option === 'string' && data.option) error.option = data.option;
      return error;
    }
    if (kind === 'client') return { kind: 'client', message };
    if (o.code === -32800) return { kind: 'cancelled', message: 'The request was cancelled.' };
    if (o.code === DERIVLENS_ERROR_CODE && kind !== undefined) {
      // A derivlens failure of a kind this client does not know (a newer server): its
      // message is still meant for people; say what is out of step rather than "internal".
      return { kind: 'client', message: `${message} (error kind "${kind}" is new to this version of the extension)` };
    }
    if (o.code === DERIVLENS_ERROR_CODE) return { kind: 'internal', message };
    if (typeof o.code === 'number') return { kind: 'internal', message: `${message} (JSON-RPC error ${o.code})` };
    return { kind: 'client', message };
  }
  return { kind: 'client', message: String(e) };
}
