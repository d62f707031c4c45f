import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { derivativeLabel, resultToCsv } from '../src/logic/csv';
import type { CurvesResult, SurfaceResult, VectorCurvesResult } from '../src/logic/protocol';

const common = {
  function: 'f',
  file: '/w/demo.py',
  line: 3,
  fixed: {},
  domain: [-1, 1] as [number, number],
  method: 'autograd' as const,
  warnings: [],
  image: null,
  sandbox: [],
  elapsed_ms: 1,
};

function base(): CurvesResult {
  return {
    ...common,
    variables: ['x'],
    order: 2,
    x: [-1, 0, 1],
    f: [1, 0, 1],
    derivatives: { '1': [-2, 0, 2], '2': [2, 2, 2] },
    critical_points: [0], inflection_points: [], discontinuities: [], formula: null,
  };
}

describe('resultToCsv', () => {
  it('one variable: x,f,f\',f\'\'', () => {
    assert.equal(resultToCsv(base()), "x,f,f',f''\n-1,1,-2,2\n0,0,0,2\n1,1,2,2\n");
  });
  it('one variable: nulls are empty cells, orders sorted numerically', () => {
    const r = base();
    r.f = [null, 0.5, 1];
    r.derivatives = { '10': [1, 1, 1], '1': [null, null, 3], '2': [4, null, 5] };
    assert.equal(resultToCsv(r), "x,f,f',f'',f^(10)\n-1,,,4,1\n0,0.5,,,1\n1,1,3,5,1\n");
  });
  it('uses the variable name in the header', () => {
    const r = base();
    r.variables = ['t'];
    r.derivatives = { '1': [0, 0, 0] };
    assert.equal(resultToCsv(r).split('\n')[0], "t,f,f'");
  });
  it('two variables: x,y,f,df/dx,df/dy with y outer, x inner', () => {
    const r: SurfaceResult = {
      ...common,
      variables: ['x', 'y'],
      order: 1,
      x: [0, 1],
      y: [10, 20],
      ydomain: [10, 20],
      f: [
        [1, 2],
        [3, null],
      ],
      gradient: {
        x: [
          [0.1, 0.2],
          [0.3, null],
        ],
        y: [
          [1.1, 1.2],
          [null, null],
        ],
      },
      critical_points: [], discontinuities: [], formula: null,
    };
    assert.equal(resultToCsv(r), 'x,y,f,df/dx,df/dy\n0,10,1,0.1,1.1\n1,10,2,0.2,1.2\n0,20,3,0.3,\n1,20,,,\n');
  });
  it('a vector-valued f: a column per order and output', () => {
    const r: VectorCurvesResult = {
      ...common,
      variables: ['t'],
      order: 2,
      outputs: 2,
      x: [0, 1],
      f: [
        [1, 2],
        [3, null],
      ],
      derivatives: {
        '2': [
          [5, 6],
          [7, 8],
        ],
        '1': [
          [0.1, 0.2],
          [null, 0.4],
        ],
      },
      critical_points: [[], [0.5]], discontinuities: [], formula: null,
    };
    assert.equal(
      resultToCsv(r),
      "t,f[0],f[1],f'[0],f'[1],f''[0],f''[1]\n0,1,3,0.1,,5,7\n1,2,,0.2,0.4,6,8\n",
    );
  });
  it('full precision numbers', () => {
    const r = base();
    r.x = [0.1 + 0.2];
    r.f = [1 / 3];
    r.derivatives = {};
    assert.equal(resultToCsv(r), 'x,f\n0.30000000000000004,0.3333333333333333\n');
  });
  it('labels', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(derivativeLabel), ["f'", "f''", "f'''", "f''''", 'f^(5)']);
  });
});
