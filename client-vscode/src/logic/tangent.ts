// The tangent (Taylor polynomial) pinned on the plot: where, of which order, and its text.
// The numbers come from the server (`result.taylor`, docs/protocol.md): the client only
// formats them and reads them at the mouse, as it reads f.
import type { PlotResult, Taylor, TaylorRequest } from './protocol';
import { fmt, isCurves } from './results';

export const TAYLOR_ORDERS = [1, 2, 3, 4] as const;

/** The pin: the x0 clicked, and the order of the polynomial (1: the tangent line). */
export interface TangentPin {
  at: number;
  order: number;
}

export function validOrder(order: unknown): order is number {
  return typeof order === 'number' && (TAYLOR_ORDERS as readonly number[]).includes(order);
}

/** Whether a tangent can be pinned on `result`: one variable, one output. */
export function canPin(result: PlotResult | null): boolean {
  return result !== null && isCurves(result) && result.variables.length === 1;
}

/**
 * x0 for a click at data x in a plot of `domain`: rounded to a thousandth of the domain's
 * width (a readable x0, `1.23`, not `1.2318735`), kept inside the domain.
 */
export function pinX(x: number, domain: readonly [number, number]): number {
  const [a, b] = domain[0] <= domain[1] ? domain : [domain[1], domain[0]];
  const width = b - a;
  const decimals = width > 0 ? Math.min(12, Math.max(0, 3 - Math.floor(Math.log10(width)))) : 6;
  const rounded = Number(x.toFixed(decimals));
  return Math.min(Math.max(rounded, a), b);
}

/** The pin after the domain became `domain`: kept when x0 is inside it, else removed. */
export function keepInside(pin: TangentPin | null, domain: readonly [unknown, unknown] | undefined): TangentPin | null {
  if (!pin || !domain) return pin;
  const [a, b] = domain;
  if (typeof a !== 'number' || typeof b !== 'number') return pin; // `pi`: the server reads it
  return pin.at >= Math.min(a, b) && pin.at <= Math.max(a, b) ? pin : null;
}

export function taylorRequest(pin: TangentPin): TaylorRequest {
  return { at: pin.at, order: pin.order };
}

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

function digits(n: number, set: string): string {
  return String(n)
    .split('')
    .map((d) => set[Number(d)] ?? d)
    .join('');
}

/** `T₂` for order 2: the readout's label of the polynomial. */
export function taylorLabel(order: number): string {
  return `T${digits(order, SUBSCRIPTS)}`;
}

/** A number in the polynomial's text: 3 significant digits, as fmt writes it otherwise. */
function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/**
 * The pinned polynomial in one line, from its coefficients:
 * `T₂(x) at x₀ = 1: 0.841 + 0.54(x − 1) − 0.421(x − 1)²`. Zero terms are left out.
 */
export function taylorText(t: Taylor, variable = 'x'): string {
  const shift = t.at === 0 ? variable : t.at > 0 ? `(${variable} − ${fmt(t.at)})` : `(${variable} + ${fmt(-t.at)})`;
  const terms: string[] = [];
  t.coefficients.forEach((c, k) => {
    if (!Number.isFinite(c) || c === 0) return;
    const power = k === 0 ? '' : k === 1 ? shift : `${shift}${digits(k, SUPERSCRIPTS)}`;
    const magnitude = short(Math.abs(c));
    const body = k === 0 ? magnitude : magnitude === '1' ? power : `${magnitude}${power}`;
    if (!terms.length) terms.push(c < 0 ? `−${body}` : body);
    else terms.push(`${c < 0 ? '−' : '+'} ${body}`);
  });
  const at = `${variable}${SUBSCRIPTS[0]} = ${fmt(t.at)}`;
  return `${taylorLabel(t.order)}(${variable}) at ${at}: ${terms.length ? terms.join(' ') : '0'}`;
}
