// Shapes of the derivlens language server's protocol (SPEC §5, §6). No `vscode` import here.

export interface Position {
  line: number;
  character: number;
}

/** The function a plot is about: a document and a position inside the function's definition. */
export interface PlotTarget {
  uri: string;
  position: Position;
}

export type Theme = 'light' | 'dark';
export type ImageFormat = 'png' | 'svg';

/** The single argument object of `workspace/executeCommand` `derivlens.plot`. */
export interface PlotArgs {
  uri: string;
  position: Position;
  domain?: [number, number];
  ydomain?: [number, number];
  order?: number;
  samples?: number;
  format?: ImageFormat;
  theme?: Theme;
  size?: 'hover' | 'panel';
}

export interface PlotImage {
  format: ImageFormat;
  data: string; // base64
  width: number; // pixels of the data
  height: number;
  scale?: number; // device-pixel ratio it was drawn at; display size = width / scale
}

export interface PlotWarning {
  kind: string;
  message: string;
}

export type Num = number | null;

export interface PlotResult {
  function: string;
  file: string;
  line: number; // 1-based line of the def
  variables: string[];
  fixed: Record<string, unknown>;
  domain: [number, number];
  ydomain?: [number, number];
  order: number;
  method: 'autograd' | 'finite-difference' | string;
  x: number[];
  y?: number[];
  f: Num[] | Num[][];
  derivatives?: Record<string, Num[]>;
  gradient?: { x: Num[][]; y: Num[][] };
  critical_points: unknown[];
  warnings: PlotWarning[];
  image: PlotImage | null;
  sandbox?: string[];
  elapsed_ms?: number;
}

export const ERROR_KINDS = [
  'syntax',
  'not-found',
  'unsupported-signature',
  'user-error',
  'timeout',
  'memory',
  'blocked',
  'crashed',
  'internal',
] as const;

/** A failure shown in the panel. `kind` is one of ERROR_KINDS, or `client` for failures on this side. */
export interface PlotError {
  kind: string;
  message: string;
}

/** The JSON-RPC error code the server uses for evaluation failures. */
export const DERIVLENS_ERROR_CODE = -32803;
