// The "Compare with…" picker: which functions of the document it offers (from the server's
// `derivlens.functions`, docs/protocol.md), and what it shows when one is chosen.
import type { PlotResult } from './protocol';
import { isCurves, isSurface } from './results';

/** One eligible function of the document, as `derivlens.functions` lists it. */
export interface FunctionEntry {
  name: string;
  /** 0-based line of its def in this document (null: defined in a cell above). */
  line: number | null;
  /** Its variables (null: known only at run time, an assigned callable). */
  variables: string[] | null;
}

/** The command the server answers with the document's functions. */
export const FUNCTIONS_COMMAND = 'derivlens.functions';

/** The server's answer, checked: entries of the right shape, anything else dropped. */
export function parseFunctions(value: unknown): FunctionEntry[] {
  if (!Array.isArray(value)) return [];
  const out: FunctionEntry[] = [];
  for (const v of value) {
    if (!v || typeof v !== 'object') continue;
    const { name, line, variables } = v as Record<string, unknown>;
    if (typeof name !== 'string' || !name) continue;
    const vars = Array.isArray(variables) && variables.every((s) => typeof s === 'string') ? (variables as string[]) : null;
    out.push({ name, line: typeof line === 'number' ? line : null, variables: vars });
  }
  return out;
}

/**
 * Whether `result` can be compared (the server's `compare`): a curve of one variable and
 * one output, or a surface (two variables, or a vector input's first two components).
 */
export function canCompare(result: PlotResult | null): boolean {
  if (result === null) return false;
  return (isCurves(result) && result.variables.length === 1) || isSurface(result);
}

/**
 * The names the picker offers: the document's other functions with as many variables as
 * the plot (a vector input counts its first two components; a signature known only at run
 * time is offered too: the server says if it does not fit), in source order.
 */
export function compareChoices(functions: readonly FunctionEntry[], result: PlotResult | null): string[] {
  if (!result || !canCompare(result)) return [];
  const count = isSurface(result) ? 2 : 1;
  const seen = new Set<string>([result.function]);
  const names: string[] = [];
  for (const f of functions) {
    if (seen.has(f.name)) continue;
    if (f.variables !== null && f.variables.length !== count) continue;
    seen.add(f.name);
    names.push(f.name);
  }
  return names;
}
