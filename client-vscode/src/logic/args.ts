// Building the `derivlens.plot` argument from editor state and the panel's controls.
import type { ImageFormat, PlotArgs, PlotTarget, Theme } from './types';

/** Values the user set in the panel's controls; anything unset comes from the directive/settings/defaults. */
export interface Overrides {
  domain?: [number, number];
  ydomain?: [number, number];
  order?: number;
  samples?: number;
}

export const MIN_ORDER = 1;
export const MAX_ORDER = 4;
export const MIN_SAMPLES = 2;
export const MAX_SAMPLES = 100_000;

export function buildPlotArgs(
  target: PlotTarget,
  overrides: Overrides,
  opts: { theme: Theme; format?: ImageFormat; size?: 'hover' | 'panel' },
): PlotArgs {
  const args: PlotArgs = {
    uri: target.uri,
    position: { line: target.position.line, character: target.position.character },
  };
  if (overrides.domain) args.domain = [overrides.domain[0], overrides.domain[1]];
  if (overrides.ydomain) args.ydomain = [overrides.ydomain[0], overrides.ydomain[1]];
  if (overrides.order !== undefined) args.order = overrides.order;
  if (overrides.samples !== undefined) args.samples = overrides.samples;
  args.format = opts.format ?? 'png';
  args.theme = opts.theme;
  args.size = opts.size ?? 'panel';
  return args;
}

/** Raw values of the panel's inputs, as strings (empty = not set). */
export interface RawControls {
  domainMin?: string;
  domainMax?: string;
  ydomainMin?: string;
  ydomainMax?: string;
  order?: string;
  samples?: string;
}

export interface ParsedControls {
  overrides: Overrides;
  errors: string[];
}

function parseNumber(s: string | undefined): number | undefined | null {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : null; // null = invalid
}

function parseInterval(
  name: string,
  lo: string | undefined,
  hi: string | undefined,
  errors: string[],
): [number, number] | undefined {
  const a = parseNumber(lo);
  const b = parseNumber(hi);
  if (a === undefined && b === undefined) return undefined;
  if (a === null || b === null || a === undefined || b === undefined) {
    errors.push(`${name}: enter two numbers.`);
    return undefined;
  }
  if (!(a < b)) {
    errors.push(`${name}: the start must be smaller than the end.`);
    return undefined;
  }
  return [a, b];
}

/** Validates the panel's inputs. Invalid fields are reported and left out of the overrides. */
export function parseControls(raw: RawControls): ParsedControls {
  const errors: string[] = [];
  const overrides: Overrides = {};
  const domain = parseInterval('Domain', raw.domainMin, raw.domainMax, errors);
  if (domain) overrides.domain = domain;
  const ydomain = parseInterval('y domain', raw.ydomainMin, raw.ydomainMax, errors);
  if (ydomain) overrides.ydomain = ydomain;
  const order = parseNumber(raw.order);
  if (order !== undefined) {
    if (order === null || !Number.isInteger(order) || order < MIN_ORDER || order > MAX_ORDER) {
      errors.push(`Order: a whole number from ${MIN_ORDER} to ${MAX_ORDER}.`);
    } else {
      overrides.order = order;
    }
  }
  const samples = parseNumber(raw.samples);
  if (samples !== undefined) {
    if (samples === null || !Number.isInteger(samples) || samples < MIN_SAMPLES || samples > MAX_SAMPLES) {
      errors.push(`Samples: a whole number from ${MIN_SAMPLES} to ${MAX_SAMPLES}.`);
    } else {
      overrides.samples = samples;
    }
  }
  return { overrides, errors };
}
