import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CellInfo,
  commandEditor,
  DOCUMENT_SELECTOR,
  editConcernsTarget,
  isCellUri,
  locationLabel,
  structureConcernsTarget,
} from '../src/logic/notebook';
import type { CurvesResult } from '../src/logic/protocol';
import { initialState, type PanelState, reduce, replotsOnEdit } from '../src/logic/state';
import type { PlotTarget } from '../src/logic/types';
import { toView } from '../src/logic/view';

const NB = 'file:///w/nb.ipynb';
const cellUri = (i: number, nb = '/w/nb.ipynb') => `vscode-notebook-cell:${nb}#W${i}sZmlsZQ%3D%3D`;
const cell = (index: number, extra: Partial<CellInfo> = {}): CellInfo => ({ notebook: NB, index, code: true, ...extra });

describe('the document selector', () => {
  it('takes Python files and the Python cells of Jupyter notebooks', () => {
    assert.deepEqual(DOCUMENT_SELECTOR, [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
      { notebook: 'jupyter-notebook', language: 'python' },
    ]);
  });
  it('knows a cell URI', () => {
    assert.equal(isCellUri(cellUri(0)), true);
    assert.equal(isCellUri('file:///w/nb.ipynb'), false);
    assert.equal(isCellUri('file:///w/vscode-notebook-cell.py'), false);
  });
});

describe('editConcernsTarget', () => {
  const target = cellUri(3);
  it('the target document itself, a file or a cell', () => {
    assert.equal(editConcernsTarget('file:///w/a.py', undefined, 'file:///w/a.py', undefined), true);
    assert.equal(editConcernsTarget(target, cell(3), target, cell(3)), true);
    assert.equal(editConcernsTarget(target, undefined, target, undefined), true); // not found as a cell: still itself
  });
  it('a code cell above the target in the same notebook', () => {
    assert.equal(editConcernsTarget(target, cell(3), cellUri(0), cell(0)), true);
    assert.equal(editConcernsTarget(target, cell(3), cellUri(2), cell(2)), true);
  });
  it('not a cell below, a markdown cell, another notebook or a file', () => {
    assert.equal(editConcernsTarget(target, cell(3), cellUri(4), cell(4)), false);
    assert.equal(editConcernsTarget(target, cell(3), cellUri(1), cell(1, { code: false })), false);
    const other = cellUri(0, '/w/other.ipynb');
    assert.equal(editConcernsTarget(target, cell(3), other, cell(0, { notebook: 'file:///w/other.ipynb' })), false);
    assert.equal(editConcernsTarget(target, cell(3), 'file:///w/a.py', undefined), false);
    assert.equal(editConcernsTarget('file:///w/a.py', undefined, cellUri(0), cell(0)), false);
    assert.equal(editConcernsTarget(target, undefined, cellUri(0), cell(0)), false);
  });
});

describe('structureConcernsTarget', () => {
  it('cells added or removed at or above the target cell', () => {
    assert.equal(structureConcernsTarget(4, [{ start: 0, removed: 0, added: 1 }]), true); // added above (3 -> 4)
    assert.equal(structureConcernsTarget(2, [{ start: 1, removed: 1, added: 0 }]), true); // removed above (3 -> 2)
    // the target's own cell moved to the top (removed at 3, added at 0): new cells above
    assert.equal(structureConcernsTarget(0, [{ start: 3, removed: 1, added: 0 }, { start: 0, removed: 0, added: 1 }]), true);
  });
  it('not below it, nor an empty change', () => {
    assert.equal(structureConcernsTarget(3, [{ start: 4, removed: 0, added: 2 }]), false);
    assert.equal(structureConcernsTarget(3, [{ start: 5, removed: 1, added: 0 }]), false);
    assert.equal(structureConcernsTarget(3, [{ start: 0, removed: 0, added: 0 }]), false);
    assert.equal(structureConcernsTarget(3, []), false);
  });
});

describe('the location of a result', () => {
  it('a file: name and line; a cell: the notebook, the cell counted from 1 and its own line', () => {
    assert.equal(locationLabel('/w/demo.py', 12, undefined), 'demo.py:12');
    assert.equal(locationLabel('/w/nb.ipynb', 2, 3), 'nb.ipynb · cell 4, line 2');
    assert.equal(locationLabel('C:\\w\\nb.ipynb', 1, 0), 'nb.ipynb · cell 1, line 1');
  });
  it('in the panel subtitle', () => {
    const r: CurvesResult = {
      function: 'f',
      file: '/w/nb.ipynb',
      cell: 3,
      line: 2,
      variables: ['x'],
      fixed: {},
      domain: [-5, 5],
      order: 1,
      method: 'autograd',
      x: [0],
      f: [0],
      derivatives: { '1': [0] },
      critical_points: [], inflection_points: [], discontinuities: [], formula: null,
      warnings: [],
      image: { format: 'png', data: 'AAAA', width: 10, height: 10, scale: 1, axes: [] },
      sandbox: [],
      elapsed_ms: 1,
    };
    let s = reduce(initialState(), { type: 'request', origin: 'open', target: { uri: cellUri(3), position: { line: 1, character: 4 } } });
    s = reduce(s, { type: 'result', seq: s.seq, result: r });
    assert.equal(toView(s).subtitle, 'nb.ipynb · cell 4, line 2');
  });
});

describe('the panel and a function in a cell', () => {
  const T: PlotTarget = { uri: cellUri(3), position: { line: 1, character: 4 } };
  const plotted = (): PanelState => reduce(initialState(), { type: 'request', origin: 'open', target: T });
  it('re-plots for the cell and code cells above it, not for others', () => {
    const s = plotted();
    assert.equal(replotsOnEdit(s, T.uri), true);
    assert.equal(replotsOnEdit(s, cellUri(0), { target: cell(3), edited: cell(0) }), true);
    assert.equal(replotsOnEdit(s, cellUri(5), { target: cell(3), edited: cell(5) }), false);
    assert.equal(replotsOnEdit(s, 'file:///w/a.py'), false);
  });
  it('an edit of a cell above moves nothing (positions are the cell\'s own); one in the cell shifts as in a file', () => {
    let s = plotted();
    const above = reduce(s, { type: 'edit', uri: cellUri(0), changes: [{ startLine: 0, endLine: 0, text: 'import math\n\n' }] });
    assert.equal(above, s);
    s = reduce(s, { type: 'edit', uri: T.uri, changes: [{ startLine: 0, endLine: 0, text: '# derivlens: order=2\n' }] });
    assert.deepEqual(s.target, { uri: T.uri, position: { line: 2, character: 4 } });
  });
});

describe('commandEditor', () => {
  const file = { uri: 'file:///w/a.py' };
  const c1 = { uri: cellUri(1) };
  const c3 = { uri: cellUri(3) };
  it('the active editor (a file or a cell being edited)', () => {
    assert.equal(commandEditor(undefined, file, [file], undefined), file);
    assert.equal(commandEditor(undefined, c3, [c1, c3], cellUri(3)), c3);
  });
  it('the document the command was run for, if an editor shows it', () => {
    assert.equal(commandEditor(file.uri, file, [file], undefined), file);
    assert.equal(commandEditor(c1.uri, c3, [c1, c3], undefined), c1);
    assert.equal(commandEditor('file:///w/gone.py', file, [file], undefined), undefined);
  });
  it("a notebook's selected cell when no text editor is active", () => {
    assert.equal(commandEditor(undefined, undefined, [c1, c3], cellUri(1)), c1);
    assert.equal(commandEditor(undefined, undefined, [c3], cellUri(1)), undefined);
    assert.equal(commandEditor(undefined, undefined, [c1], undefined), undefined);
  });
});
