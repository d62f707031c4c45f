// Notebook cells: which documents the client hands to the server, which cell a document is,
// and whether a change of a notebook concerns the function plotted in one of its cells.
// No `vscode` import here: the panel looks the cells up and passes what it found.

/** The URI scheme of a notebook cell's text document in VS Code. */
export const CELL_SCHEME = 'vscode-notebook-cell';

/** The notebook type whose Python cells the server takes (LSP 3.17 notebook sync). */
export const NOTEBOOK_TYPE = 'jupyter-notebook';

/**
 * The languageclient's document selector: Python files, untitled Python documents, and the
 * Python cells of Jupyter notebooks (a notebook-cell filter, which vscode-languageclient 9
 * turns into VS Code's `{ notebookType, language }`: hovers and code lenses in cells). The
 * cells' own synchronization follows the server's `notebookDocumentSync` capability.
 */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { notebook: NOTEBOOK_TYPE, language: 'python' },
];

export function isCellUri(uri: string): boolean {
  return uri.startsWith(`${CELL_SCHEME}:`);
}

/** A cell of an open notebook: the notebook's URI, the cell's index, and whether it is Python code. */
export interface CellInfo {
  notebook: string;
  index: number;
  /** A code cell in Python: one the server has (markdown and other languages are not synced). */
  code: boolean;
}

/**
 * Whether an edit of document `editedUri` changes what the function plotted at `targetUri`
 * evaluates to. The target's own document, always; in a notebook, also any Python code cell
 * above the target's cell (the function's module is the code cells up to and including its
 * own, so a cell below, a markdown cell or another notebook changes nothing). `targetCell`
 * and `editedCell` are the cells those documents are, when they are cells of an open notebook.
 */
export function editConcernsTarget(
  targetUri: string,
  targetCell: CellInfo | undefined,
  editedUri: string,
  editedCell: CellInfo | undefined,
): boolean {
  if (editedUri === targetUri) return true;
  if (!targetCell || !editedCell) return false;
  return editedCell.notebook === targetCell.notebook && editedCell.code && editedCell.index < targetCell.index;
}

/** Cells added to or removed from a notebook: the range replaced, in the cells before the change. */
export interface CellsChange {
  start: number;
  removed: number;
  added: number;
}

/**
 * Whether cells added, removed or moved in the target's notebook can change the target's
 * result: any change that starts at or above the target's cell (`targetIndex`, its index
 * after the change). A change below it leaves the cells above as they were.
 */
export function structureConcernsTarget(targetIndex: number, changes: readonly CellsChange[]): boolean {
  return changes.some((c) => (c.removed > 0 || c.added > 0) && c.start <= targetIndex);
}

/**
 * Where a result's function is, for people: `demo.py:12`, or in a notebook
 * `nb.ipynb · cell 4, line 2` (cells counted from 1; the line is the cell's own).
 */
export function locationLabel(file: string, line: number, cell: number | undefined): string {
  const name = basename(file);
  return cell === undefined ? `${name}:${line}` : `${name} · cell ${cell + 1}, line ${line}`;
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

/**
 * The editor "Plot derivative of this function" plots from. `requested`: the document the
 * command was run for (the editor's context menu passes it), which must be an editor's;
 * else the active text editor, else (a notebook whose selected cell is not being edited)
 * the editor of the notebook's selected cell, `selectedCell`, when it is visible.
 */
export function commandEditor<E extends { uri: string }>(
  requested: string | undefined,
  active: E | undefined,
  visible: readonly E[],
  selectedCell: string | undefined,
): E | undefined {
  if (requested !== undefined) return active?.uri === requested ? active : visible.find((e) => e.uri === requested);
  if (active) return active;
  return selectedCell === undefined ? undefined : visible.find((e) => e.uri === selectedCell);
}
