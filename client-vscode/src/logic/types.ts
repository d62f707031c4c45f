// The client's own types. The protocol's shapes (results, warnings, the `derivlens.plot`
// argument, error kinds) are generated from the server's model in ./protocol: import them
// from there. No `vscode` import here.
import type { ErrorKind, PlotArgs, PlotImage, Position } from './protocol';

/** The function a plot is about: a document and a position inside the function's definition. */
export interface PlotTarget {
  uri: string;
  position: Position;
}

export type Theme = NonNullable<PlotArgs['theme']>;
export type ImageFormat = PlotImage['format'];

/**
 * Failures of this side: `client` (no server, a reply this client cannot read, ...) and
 * `cancelled` (the request was cancelled).
 */
export const CLIENT_ERROR_KINDS = ['client', 'cancelled'] as const;
export type ClientErrorKind = (typeof CLIENT_ERROR_KINDS)[number];

/** A failure shown in the panel: a server error kind, or one of this side's. */
export interface PlotError {
  kind: ErrorKind | ClientErrorKind;
  message: string;
  /** For `invalid-options`: the option the message is about (`data.option`), when the server names one. */
  option?: string;
}

/** The JSON-RPC error code of every derivlens failure (LSP's RequestFailed; docs/protocol.md). */
export const DERIVLENS_ERROR_CODE = -32803;
