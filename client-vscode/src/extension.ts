// derivlens for VS Code: starts the language server and shows plots in a panel.
import * as vscode from 'vscode';
import { targetFromCommandArgs } from './logic/lenses';
import { commandEditor } from './logic/notebook';
import type { PlotTarget } from './logic/types';
import { PANEL_VIEW_TYPE, PlotPanel } from './panel';
import { ServerManager } from './server';

let server: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('derivlens');
  const open = (target: PlotTarget) => {
    if (server) PlotPanel.show(context.extensionUri, server, target);
  };
  server = new ServerManager(output, open, context.extensionPath);
  const srv = server;
  context.subscriptions.push(
    output,
    { dispose: () => void srv.dispose() },
    vscode.commands.registerCommand('derivlens.plotDerivative', (uri?: unknown) => {
      const editor = plotEditor(uri instanceof vscode.Uri ? uri.toString() : undefined);
      if (!editor) {
        void vscode.window.showWarningMessage('derivlens: put the cursor in a Python function, then run "Plot derivative of this function".');
        return;
      }
      if (editor.document.languageId !== 'python') {
        void vscode.window.showWarningMessage('derivlens: "Plot derivative of this function" works in Python files and in the Python cells of notebooks.');
        return;
      }
      const pos = editor.selection.active;
      open({ uri: editor.document.uri.toString(), position: { line: pos.line, character: pos.character } });
    }),
    // Code lenses of the server run this (see the middleware in server.ts).
    vscode.commands.registerCommand('derivlens.openPlot', (...args: unknown[]) => {
      const target = targetFromCommandArgs(args);
      if (target) open(target);
    }),
    vscode.commands.registerCommand('derivlens.restartServer', async () => {
      await srv.restart();
      PlotPanel.current?.replotNow();
    }),
    vscode.commands.registerCommand('derivlens.showOutput', () => output.show()),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown) {
        PlotPanel.revive(panel, context.extensionUri, srv, saved);
      },
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('derivlens.pythonPath')) {
        output.appendLine('derivlens.pythonPath changed: restarting the server.');
        await srv.restart();
        PlotPanel.current?.replotNow();
      }
    }),
  );
  void srv.start();
}

/** The text editor the command plots from: a file's, or a notebook cell's (logic/notebook.ts). */
function plotEditor(requested: string | undefined): vscode.TextEditor | undefined {
  const wrap = (editor: vscode.TextEditor) => ({ uri: editor.document.uri.toString(), editor });
  const active = vscode.window.activeTextEditor;
  const nb = vscode.window.activeNotebookEditor;
  const selected = nb && nb.selection.start < nb.notebook.cellCount ? nb.notebook.cellAt(nb.selection.start).document.uri.toString() : undefined;
  return commandEditor(requested, active && wrap(active), vscode.window.visibleTextEditors.map(wrap), selected)?.editor;
}

export async function deactivate(): Promise<void> {
  PlotPanel.current?.dispose();
  await server?.dispose();
  server = undefined;
}
