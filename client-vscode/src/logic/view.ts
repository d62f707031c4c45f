// What the webview shows, computed from the panel state (the webview script only renders it).
import type { PanelState } from './state';
import { errorTitle } from './errors';
import type { PlotResult } from './types';

export interface ViewImage {
  src: string;
  /** CSS pixels: pixel size / scale, so a 2x PNG is sharp on HiDPI screens. */
  width: number;
  height: number;
  format: string;
}

export interface ViewModel {
  status: PanelState['status'];
  title: string;
  subtitle: string;
  method: string;
  fixed: string;
  critical: string;
  warnings: { kind: string; message: string }[];
  image: ViewImage | null;
  error: { kind: string; title: string; message: string } | null;
  stale: boolean;
  twoVariables: boolean;
  controls: {
    domainMin: string;
    domainMax: string;
    ydomainMin: string;
    ydomainMax: string;
    order: string;
    samples: string;
  };
  follow: boolean;
  inputErrors: string[];
  canExport: boolean;
  footer: string;
  seq: number;
}

export function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(Number(v.toPrecision(6)));
  }
  if (Array.isArray(v)) return `(${v.map(fmt).join(', ')})`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A critical point given as an object: {x: ..., y: ...} or similar.
    return `(${Object.values(o).map(fmt).join(', ')})`;
  }
  return String(v);
}

export function imageFor(result: PlotResult | null): ViewImage | null {
  const img = result?.image;
  if (!img || !img.data) return null;
  const scale = img.scale && img.scale > 0 ? img.scale : 1;
  const mime = img.format === 'svg' ? 'image/svg+xml' : 'image/png';
  return {
    src: `data:${mime};base64,${img.data}`,
    width: Math.round(img.width / scale),
    height: Math.round(img.height / scale),
    format: img.format,
  };
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

export function toView(state: PanelState): ViewModel {
  const r = state.result;
  const twoVariables = (r?.variables.length ?? 0) >= 2;
  const o = state.overrides;
  const domain = o.domain ?? r?.domain;
  const ydomain = o.ydomain ?? r?.ydomain;
  const samples = o.samples ?? (r ? r.x.length : undefined);
  const order = o.order ?? r?.order;
  const s = (v: number | undefined) => (v === undefined ? '' : String(v));
  let title = 'derivlens';
  let subtitle = '';
  if (r) {
    title = `${r.function}(${r.variables.join(', ')})`;
    subtitle = `${basename(r.file)}:${r.line}`;
  } else if (state.status === 'loading') {
    title = 'Plotting…';
  } else if (state.status === 'empty') {
    subtitle = 'Run "Plot derivative of this function" in a Python file, or click a "Plot derivative" code lens.';
  }
  const fixedEntries = r ? Object.entries(r.fixed ?? {}) : [];
  const crit = r?.critical_points ?? [];
  const footerParts: string[] = [];
  if (r?.elapsed_ms !== undefined) footerParts.push(`${Math.round(r.elapsed_ms)} ms`);
  if (r?.sandbox?.length) footerParts.push(`sandbox: ${r.sandbox.join(', ')}`);
  return {
    status: state.status,
    title,
    subtitle,
    method: r ? r.method : '',
    fixed: fixedEntries.length ? fixedEntries.map(([k, v]) => `${k} = ${fmt(v)}`).join(', ') : r ? 'none' : '',
    critical: r ? (crit.length ? crit.map(fmt).join(', ') : 'none in the domain') : '',
    warnings: r && state.status !== 'error' ? r.warnings ?? [] : [],
    image: imageFor(r),
    error: state.status === 'error' && state.error
      ? { kind: state.error.kind, title: errorTitle(state.error.kind), message: state.error.message }
      : null,
    stale: state.status === 'error' && r !== null,
    twoVariables,
    controls: {
      domainMin: s(domain?.[0]),
      domainMax: s(domain?.[1]),
      ydomainMin: s(ydomain?.[0]),
      ydomainMax: s(ydomain?.[1]),
      order: s(twoVariables ? 1 : order),
      samples: s(samples),
    },
    follow: state.follow,
    inputErrors: state.inputErrors,
    canExport: r !== null,
    footer: footerParts.join(' · '),
    seq: state.seq,
  };
}
