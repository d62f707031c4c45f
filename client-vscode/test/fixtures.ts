// Results as the server sends them (src/logic/protocol.ts), shared by the tests of the
// panel's logic: each test names only the fields it is about.
import type { CurvesResult } from '../src/logic/protocol';

/** A plotted one-variable function with no findings; `changes` replace its fields. */
export function curvesResult(changes: Partial<CurvesResult> = {}): CurvesResult {
  return {
    function: 'f',
    file: '/w/a.py',
    line: 6,
    variables: ['x'],
    fixed: {},
    domain: [-5, 5],
    order: 1,
    method: 'autograd',
    x: [-5, 0, 5],
    f: [1, 2, 3],
    derivatives: { '1': [0, 0, 0] },
    critical_points: [], inflection_points: [], discontinuities: [], formula: null,
    warnings: [],
    image: null,
    sandbox: [],
    elapsed_ms: 1,
    ...changes,
  };
}
