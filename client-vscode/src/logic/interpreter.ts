// Which Python runs the language server, and whether it can.

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface InterpreterChoice {
  path: string;
  source: InterpreterSource;
}

export const DEFAULT_PYTHON = 'python3';

/** Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`. */
export function expandPath(p: string, vars: { workspaceFolder?: string; home?: string; env?: Record<string, string | undefined> }): string {
  let out = p.trim();
  if (vars.home && (out === '~' || out.startsWith('~/'))) out = vars.home + out.slice(1);
  out = out.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (m, name: string, envName?: string) => {
    if (name === 'workspaceFolder') return vars.workspaceFolder ?? m;
    if (name === 'userHome') return vars.home ?? m;
    if (envName) return vars.env?.[envName] ?? '';
    return m;
  });
  return out;
}

/**
 * Order: the `derivlens.pythonPath` setting, else the Python extension's active
 * interpreter (when that extension is installed and has one), else `python3`.
 */
export function chooseInterpreter(opts: {
  setting?: string | null;
  pythonExtension?: string | null;
  workspaceFolder?: string;
  home?: string;
  env?: Record<string, string | undefined>;
}): InterpreterChoice {
  const setting = opts.setting?.trim();
  if (setting) return { path: expandPath(setting, opts), source: 'setting' };
  const ext = opts.pythonExtension?.trim();
  if (ext) return { path: ext, source: 'python-extension' };
  return { path: DEFAULT_PYTHON, source: 'default' };
}

/**
 * What the interpreter must have. `derivlens` itself (with pygls and the rest of the
 * server's pure-Python dependencies) comes with the extension (bundled/libs, on PYTHONPATH);
 * only a build without the bundle needs it installed. torch, matplotlib and numpy are built
 * for each platform and Python: they are the user's to install.
 */
export const NEEDED = ['derivlens', 'torch', 'matplotlib', 'numpy'] as const;
export type Needed = (typeof NEEDED)[number];

/** Run with `<python> -c CHECK_SCRIPT` (and the server's PYTHONPATH): one JSON line. */
export const CHECK_SCRIPT = [
  'import importlib.util, json, sys',
  'def has(m):',
  '    try:',
  '        return importlib.util.find_spec(m) is not None',
  '    except Exception:',
  '        return False',
  `found = {m: has(m) for m in ${JSON.stringify(NEEDED)}}`,
  'spec = importlib.util.find_spec("derivlens") if found["derivlens"] else None',
  'where = spec.origin if spec and spec.origin else None',
  'print(json.dumps({"python": sys.version.split()[0], "executable": sys.executable, "derivlens_at": where, **found}))',
].join('\n');

export interface CheckResult {
  python?: string;
  executable?: string;
  /** Where `derivlens` was found (the bundle, or the interpreter's own install). */
  derivlensAt?: string;
  derivlens: boolean;
  torch: boolean;
  matplotlib: boolean;
  numpy: boolean;
}

export function parseCheckOutput(stdout: string): CheckResult | undefined {
  const lines = stdout.trim().split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const o = JSON.parse(lines[i]) as Record<string, unknown>;
      if (o && typeof o === 'object' && 'derivlens' in o) {
        return {
          python: typeof o.python === 'string' ? o.python : undefined,
          executable: typeof o.executable === 'string' ? o.executable : undefined,
          derivlensAt: typeof o.derivlens_at === 'string' ? o.derivlens_at : undefined,
          derivlens: o.derivlens === true,
          torch: o.torch === true,
          matplotlib: o.matplotlib === true,
          numpy: o.numpy === true,
        };
      }
    } catch {
      /* not our line */
    }
  }
  return undefined;
}

/** The packages the server needs that the interpreter lacks, as pip names. */
export function missingPackages(check: CheckResult): Needed[] {
  return NEEDED.filter((name) => !check[name]);
}

function shellQuote(s: string, platform: string): string {
  if (/^[A-Za-z0-9_./:=+-]+$/.test(s)) return s;
  if (platform === 'win32') return `& "${s.replace(/"/g, '`"')}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The terminal command that installs what is missing (derivlens pulls in all the rest). */
export function installCommand(python: string, missing: readonly string[], platform: string = 'linux'): string {
  const pkgs = missing.includes('derivlens') ? ['derivlens'] : missing;
  return `${shellQuote(python, platform)} -m pip install ${pkgs.join(' ')}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The error shown when the interpreter lacks packages. */
export function missingMessage(choice: InterpreterChoice, missing: readonly string[]): string {
  const many = missing.length > 1;
  const what = `the ${listed(missing)} package${many ? 's' : ''}`;
  const from =
    choice.source === 'setting'
      ? ' (from the derivlens.pythonPath setting)'
      : choice.source === 'python-extension'
        ? " (the Python extension's active interpreter)"
        : ' (no derivlens.pythonPath set and no Python extension: the default)';
  const them = many ? 'them' : 'it';
  return `derivlens: the Python interpreter ${choice.path}${from} does not have ${what}. Install ${them} into that interpreter, or set derivlens.pythonPath to one that has ${them}.`;
}

/** The error shown when the interpreter cannot be run at all. */
export function notRunnableMessage(choice: InterpreterChoice, detail: string): string {
  return `derivlens: cannot run the Python interpreter ${choice.path} (${choice.source === 'setting' ? 'derivlens.pythonPath' : choice.source === 'python-extension' ? "the Python extension's active interpreter" : 'default'}): ${detail}. Set derivlens.pythonPath to a Python that has torch, matplotlib and numpy.`;
}

/**
 * The environment of the server (and of the check): the extension's bundled server first
 * on PYTHONPATH, so that `python -m derivlens serve` runs the server this client was built
 * with, whatever the interpreter has installed. Without a bundle (a development build), the
 * interpreter's own derivlens runs.
 *
 * No code of the workspace may run in the server (docs/protocol.md, "Sandbox"):
 * `PYTHONSAFEPATH=1` keeps the working directory off `sys.path` (Python 3.11+), empty
 * PYTHONPATH entries (which mean the working directory) are dropped, and the server runs in
 * a folder of the extension's own ({@link serverCwd}), never the workspace.
 */
export function serverEnv(base: Record<string, string | undefined>, bundled: string | undefined, delimiter: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base, PYTHONUNBUFFERED: '1', PYTHONSAFEPATH: '1' };
  const entries = [bundled, ...(base.PYTHONPATH ?? '').split(delimiter)].filter((p): p is string => !!p && p !== '.');
  if (entries.length) env.PYTHONPATH = entries.join(delimiter);
  else delete env.PYTHONPATH;
  return env;
}

/** The server's working directory: the extension's own folder, so no project module shadows one of Python's. */
export function serverCwd(extensionPath: string): string {
  return extensionPath;
}
