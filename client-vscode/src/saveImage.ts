// Saving the plot shown as PNG or SVG: the image the panel has, or one drawn for the file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildPlotArgs } from './logic/args';
import { toPlotError } from './logic/errors';
import { isCellUri } from './logic/notebook';
import { wireImage } from './logic/results';
import type { PanelState } from './logic/state';
import { taylorRequest } from './logic/tangent';
import type { ImageFormat, Theme } from './logic/types';
import type { Plotter } from './panel';

/** The open notebook that has the cell document `uri`. */
function notebookOf(uri: string): vscode.NotebookDocument | undefined {
  return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document.uri.toString() === uri));
}

/** Saves the plot shown (with its tangent and comparison) as `format`, beside its file (or notebook), where the user says. */
export async function saveImage(state: PanelState, plotter: Plotter, format: ImageFormat, theme: Theme): Promise<void> {
  const r = state.result;
  const target = state.target;
  if (!r || !target) return;
  const shown = wireImage(r);
  let data = shown?.format === format ? shown.data : undefined;
  if (!data) {
    try {
      const args = buildPlotArgs(target, state.overrides, { theme, format, taylor: state.tangent && taylorRequest(state.tangent), compare: state.compare });
      const res = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `derivlens: drawing ${r.function} as ${format.toUpperCase()}…`, cancellable: true },
        (_p, token) => plotter.plot(args, token),
      );
      const drawn = wireImage(res);
      data = drawn?.format === format ? drawn.data : undefined;
      if (!data) throw new Error(`the server returned no ${format.toUpperCase()} image`);
    } catch (e) {
      const err = toPlotError(e);
      void vscode.window.showErrorMessage(`derivlens: could not draw ${format.toUpperCase()}: ${err.message}`);
      return;
    }
  }
  // Beside the file, or beside the notebook of a cell.
  const docUri = isCellUri(target.uri) ? notebookOf(target.uri)?.uri : vscode.Uri.parse(target.uri);
  const dir = docUri?.scheme === 'file' ? path.dirname(docUri.fsPath) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const name = `${r.function.replace(/[^\w.-]+/g, '_')}.${format}`;
  const dest = await vscode.window.showSaveDialog({
    defaultUri: dir ? vscode.Uri.file(path.join(dir, name)) : undefined,
    filters: format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] },
    saveLabel: `Save ${format.toUpperCase()}`,
  });
  if (!dest) return;
  await vscode.workspace.fs.writeFile(dest, Buffer.from(data, 'base64'));
  void vscode.window.showInformationMessage(`derivlens: saved ${vscode.workspace.asRelativePath(dest)}.`);
}
