// Starting, checking and restarting the derivlens language server.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  CHECK_SCRIPT,
  chooseInterpreter,
  installCommand,
  type InterpreterChoice,
  missingMessage,
  missingPackages,
  notRunnableMessage,
  parseCheckOutput,
  serverCwd,
  serverEnv,
} from './logic/interpreter';
import { DOCUMENT_SELECTOR } from './logic/notebook';
import { FUNCTIONS_COMMAND } from './logic/compare';
import { rewriteLensCommand, SERVER_PLOT_COMMAND, targetFromCommandArgs } from './logic/lenses';
import type { PlotArgs, PlotResult, SweepRequest, SweepResult } from './logic/protocol';
import { limitedServerSettings } from './logic/settings';
import type { PlotTarget } from './logic/types';

/**
 * The settings the server reads, from VS Code's `derivlens` section (logic/settings.ts);
 * `log` gets a line for each workspace value that would have loosened the sandbox.
 */
export function currentServerSettings(log: (ignored: string[]) => void): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration('derivlens');
  const { settings, ignored } = limitedServerSettings(
    (key) => c.get(key),
    (key) => c.inspect(key),
  );
  log(ignored);
  return settings;
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
}

class ServerUnavailable extends Error {
  readonly data = { kind: 'client' };
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private unavailable: string | undefined;
  private pythonListener: vscode.Disposable | undefined;
  private choice: InterpreterChoice | undefined;
  private readonly configListener: vscode.Disposable;
  /** The workspace values last logged as ignored (logic/limits.ts). */
  private ignoredLogged = '';

  /** The server this extension carries (bundled/libs), if it was packaged with it. */
  private readonly bundled: string | undefined;

  /** Where the server and the check run: never the workspace (logic/interpreter.ts). */
  private readonly cwd: string;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly onLensPlot: (target: PlotTarget) => unknown,
    extensionPath: string,
  ) {
    this.cwd = serverCwd(extensionPath);
    const libs = path.join(extensionPath, 'bundled', 'libs');
    this.bundled = fs.existsSync(path.join(libs, 'derivlens', '__init__.py')) ? libs : undefined;
    // Instead of the client library's configuration sync (which would send the section as
    // VS Code has it, pythonPath included): the server's settings, built in one place.
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      const client = this.client;
      if (!e.affectsConfiguration('derivlens') || !client || client.state !== State.Running) return;
      void client
        .sendNotification(DidChangeConfigurationNotification.type, { settings: { derivlens: this.serverSettings() } })
        .catch((error: unknown) => this.output.appendLine(`sending the settings: ${String(error)}`));
    });
  }

  /** The server's settings; each ignored workspace value is logged once, until it changes. */
  private serverSettings(): Record<string, unknown> {
    return currentServerSettings((ignored) => {
      const text = ignored.join('\n');
      if (text && text !== this.ignoredLogged) this.output.appendLine(text);
      this.ignoredLogged = text;
    });
  }

  /** Starts the server (once); resolves when it runs or when starting failed (the user is told). */
  start(): Promise<void> {
    if (!this.starting) this.starting = this.doStart();
    return this.starting;
  }

  async restart(): Promise<void> {
    const previous = this.starting;
    this.starting = undefined;
    if (previous) await previous.catch(() => undefined);
    await this.stopClient();
    await this.start();
  }

  async plot(args: PlotArgs, token?: vscode.CancellationToken): Promise<PlotResult> {
    await this.start();
    const client = this.client;
    if (!client || client.state !== State.Running) {
      throw new ServerUnavailable(
        `The derivlens language server is not running${this.unavailable ? `: ${this.unavailable.replace(/^derivlens: /, '').replace(/\.$/, '')}` : ''}. ` +
          'Fix it, then run "derivlens: Restart language server".',
      );
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_PLOT_COMMAND, arguments: [args] }, token) as Promise<PlotResult>;
  }

  /** The eligible functions of document `uri` (`derivlens.functions`), unchecked: see logic/compare.ts. */
  async functions(uri: string): Promise<unknown> {
    await this.start();
    const client = this.client;
    if (!client || client.state !== State.Running) return [];
    return client.sendRequest(ExecuteCommandRequest.type, { command: FUNCTIONS_COMMAND, arguments: [{ uri }] });
  }

  /** `derivlens.sweep` (docs/protocol.md, "Slider sweeps"): the arrays of a slider's previews. */
  async sweep(args: PlotArgs & { sweep: SweepRequest }, token?: vscode.CancellationToken): Promise<SweepResult> {
    await this.start();
    const client = this.client;
    if (!client || client.state !== State.Running) throw new ServerUnavailable('The derivlens language server is not running.');
    return client.sendRequest(ExecuteCommandRequest.type, { command: 'derivlens.sweep', arguments: [args] }, token) as Promise<SweepResult>;
  }

  async dispose(): Promise<void> {
    this.configListener.dispose();
    this.pythonListener?.dispose();
    await this.stopClient();
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.output.appendLine(`stopping the server: ${String(e)}`);
      }
    }
  }

  private async pythonExtensionInterpreter(): Promise<string | undefined> {
    const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
    if (!ext) return undefined;
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const envs = api?.environments;
      if (!envs) return undefined;
      if (!this.pythonListener && envs.onDidChangeActiveEnvironmentPath) {
        this.pythonListener = envs.onDidChangeActiveEnvironmentPath(() => {
          if (this.choice?.source !== 'setting') {
            this.output.appendLine('The Python extension changed its interpreter: restarting the server.');
            void this.restart();
          }
        });
      }
      const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
      const active = envs.getActiveEnvironmentPath(resource);
      const env = await envs.resolveEnvironment(active);
      return env?.executable?.uri?.fsPath ?? active?.path;
    } catch (e) {
      this.output.appendLine(`The Python extension did not give an interpreter: ${String(e)}`);
      return undefined;
    }
  }

  private async resolveInterpreter(): Promise<InterpreterChoice> {
    const setting = vscode.workspace.getConfiguration('derivlens').get<string>('pythonPath');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const viaExtension = setting?.trim() ? undefined : await this.pythonExtensionInterpreter();
    return chooseInterpreter({ setting, pythonExtension: viaExtension, workspaceFolder: folder, home: os.homedir(), env: process.env });
  }

  private check(python: string): Promise<{ ok: true; stdout: string } | { ok: false; detail: string }> {
    return new Promise((resolve) => {
      const env = serverEnv(process.env, this.bundled, path.delimiter) as NodeJS.ProcessEnv;
      cp.execFile(python, ['-c', CHECK_SCRIPT], { timeout: 60_000, windowsHide: true, env, cwd: this.cwd }, (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const detail = code === 'ENOENT' ? 'not found' : `${err.message.split('\n')[0]}${stderr ? ` — ${stderr.trim().split('\n').pop()}` : ''}`;
          resolve({ ok: false, detail });
        } else {
          resolve({ ok: true, stdout });
        }
      });
    });
  }

  private async doStart(): Promise<void> {
    this.unavailable = undefined;
    const choice = await this.resolveInterpreter();
    this.choice = choice;
    this.output.appendLine(`Python interpreter: ${choice.path} (${choice.source})`);
    const checked = await this.check(choice.path);
    if (!checked.ok) {
      const msg = notRunnableMessage(choice, checked.detail);
      this.unavailable = msg;
      this.output.appendLine(msg);
      void this.offerFix(msg, undefined);
      return;
    }
    const info = parseCheckOutput(checked.stdout);
    if (!info) {
      const msg = notRunnableMessage(choice, `unexpected output ${JSON.stringify(checked.stdout.slice(0, 200))}`);
      this.unavailable = msg;
      this.output.appendLine(msg);
      void this.offerFix(msg, undefined);
      return;
    }
    const has = (ok: boolean) => (ok ? 'yes' : 'MISSING');
    this.output.appendLine(
      `Python ${info.python ?? '?'} at ${info.executable ?? choice.path}: torch ${has(info.torch)}, matplotlib ${has(info.matplotlib)}, numpy ${has(info.numpy)}; ` +
        `derivlens ${info.derivlens ? `from ${info.derivlensAt ?? '?'}` : 'MISSING'}${this.bundled ? ' (bundled with the extension)' : ''}`,
    );
    const missing = missingPackages(info);
    if (missing.length) {
      const msg = missingMessage(choice, missing);
      this.unavailable = msg;
      this.output.appendLine(msg);
      void this.offerFix(msg, installCommand(info.executable ?? choice.path, missing, process.platform));
      return;
    }

    const serverOptions: ServerOptions = {
      command: choice.path,
      args: ['-m', 'derivlens', 'serve'],
      transport: TransportKind.stdio,
      options: { cwd: this.cwd, env: serverEnv(process.env, this.bundled, path.delimiter) as NodeJS.ProcessEnv },
    };
    const clientOptions: LanguageClientOptions = {
      // Python files, and the Python cells of Jupyter notebooks (logic/notebook.ts).
      documentSelector: DOCUMENT_SELECTOR,
      initializationOptions: { derivlens: this.serverSettings() },
      outputChannel: this.output,
      middleware: {
        workspace: {
          // workspace/configuration of the `derivlens` section: the server's settings only.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) return answers;
            return params.items.map((item, i) => (item.section === 'derivlens' ? this.serverSettings() : answers[i]));
          },
        },
        // A click on a "Plot derivative" lens opens the panel instead of discarding the result.
        executeCommand: async (command, args, next) => {
          if (command === SERVER_PLOT_COMMAND) {
            const target = targetFromCommandArgs(args);
            if (target) return this.onLensPlot(target);
          }
          return next(command, args);
        },
        provideCodeLenses: async (document, token, next) => {
          const lenses = await next(document, token);
          for (const lens of lenses ?? []) rewriteLensCommand(lens.command);
          return lenses;
        },
        resolveCodeLens: async (lens, token, next) => {
          const resolved = await next(lens, token);
          if (resolved) rewriteLensCommand(resolved.command);
          return resolved;
        },
      },
    };
    const client = new LanguageClient('derivlens', 'derivlens', serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
      this.output.appendLine('derivlens language server started.');
    } catch (e) {
      const msg = `derivlens: the language server (${choice.path} -m derivlens serve) did not start: ${e instanceof Error ? e.message : String(e)}`;
      this.unavailable = msg;
      this.output.appendLine(msg);
      void vscode.window.showErrorMessage(msg, 'Show output').then((pick) => pick && this.output.show());
    }
  }

  private async offerFix(message: string, install: string | undefined): Promise<void> {
    const actions = install ? ['Install in a terminal', 'Choose interpreter', 'Retry'] : ['Choose interpreter', 'Retry'];
    const pick = await vscode.window.showErrorMessage(message, ...actions);
    if (pick === 'Install in a terminal' && install) {
      const term = vscode.window.createTerminal({ name: 'derivlens: install' });
      term.show();
      term.sendText(install);
      const again = await vscode.window.showInformationMessage(
        `Running "${install}" in a terminal. Restart the derivlens server when it has finished.`,
        'Restart server',
      );
      if (again) await this.restart();
    } else if (pick === 'Choose interpreter') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'derivlens.pythonPath');
    } else if (pick === 'Retry') {
      await this.restart();
    }
  }
}
