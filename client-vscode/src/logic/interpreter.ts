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

/** Run with `<python> -c CHECK_SCRIPT`: prints one JSON line about what the server needs. */
export const CHECK_SCRIPT = [
  'import importlib.util, json, sys',
  'def has(m):',
  '    try:',
  '        return importlib.util.find_spec(m) is not None',
  '    except Exception:',
  '        return False',
  'print(json.dumps({"python": sys.version.split()[0], "executable": sys.executable, "derivlens": has("derivlens"), "torch": has("torch")}))',
].join('\n');

export interface CheckResult {
  python?: string;
  executable?: string;
  derivlens: boolean;
  torch: boolean;
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
          derivlens: o.derivlens === true,
          torch: o.torch === true,
        };
      }
    } catch {
      /* not our line */
    }
  }
  return undefined;
}

/** The packages the server needs that the interpreter lacks, as pip names. */
export function missingPackages(check: CheckResult): string[] {
  const missing: string[] = [];
  if (!check.derivlens) missing.push('derivlens');
  if (!check.torch) missing.push('torch');
  return missing;
}

function shellQuote(s: string, platform: string): string {
  if (/^[A-Za-z0-9_./:=+-]+$/.test(s)) return s;
  if (platform === 'win32') return `& "${s.replace(/"/g, '`"')}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The terminal command that installs what is missing (derivlens pulls torch in). */
export function installCommand(python: string, missing: string[], platform: string = 'linux'): string {
  const pkgs = missing.includes('derivlens') ? ['derivlens'] : missing;
  return `${shellQuote(python, platform)} -m pip install ${pkgs.join(' ')}`;
}

/** The error shown when the interpreter lacks packages. */
export function missingMessage(choice: InterpreterChoice, missing: string[]): string {
  const what = missing.length === 2 ? 'the derivlens and torch packages' : `the ${missing[0]} package`;
  const from =
    choice.source === 'setting'
      ? ' (from the derivlens.pythonPath setting)'
      : choice.source === 'python-extension'
        ? " (the Python extension's active interpreter)"
        : ' (no derivlens.pythonPath set and no Python extension: the default)';
  return `derivlens: the Python interpreter ${choice.path}${from} does not have ${what}. Install ${missing.length === 2 ? 'them' : 'it'} into that interpreter, or set derivlens.pythonPath to one that has ${missing.length === 2 ? 'them' : 'it'}.`;
}

/** The error shown when the interpreter cannot be run at all. */
export function notRunnableMessage(choice: InterpreterChoice, detail: string): string {
  return `derivlens: cannot run the Python interpreter ${choice.path} (${choice.source === 'setting' ? 'derivlens.pythonPath' : choice.source === 'python-extension' ? "the Python extension's active interpreter" : 'default'}): ${detail}. Set derivlens.pythonPath to a Python that has derivlens and torch.`;
}
