// The sandbox's limits that a repository cannot raise (docs/protocol.md, "Settings").
//
// A workspace's `.vscode/settings.json` comes with the repository, so a value there is the
// repository's word, not the user's. For the settings that loosen the sandbox (more memory,
// more time) only the user's (or the remote machine's) settings and the defaults count: a
// workspace or workspace-folder value is used only when it tightens the limit, and one that
// would loosen it is ignored with a line in the output channel. The server cannot tell
// scopes apart, so this client decides; the server keeps its own upper bounds.

/** What `WorkspaceConfiguration.inspect(key)` tells of a setting, the scopes read here. */
export interface SettingScopes {
  defaultValue?: unknown;
  /** User settings (and, in a remote window, the remote machine's). */
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Reads the scopes of one `derivlens.*` setting (VS Code: `getConfiguration('derivlens').inspect(key)`). */
export type ScopeReader = (key: string) => SettingScopes | undefined;

/**
 * The settings that loosen the sandbox when raised, and the least value the server takes
 * for each (package.json's `minimum`): below it the server would ignore the value and use
 * its default, which may be looser than the user's.
 */
export const SANDBOX_LIMITS: Readonly<Record<string, number>> = {
  memoryLimitMB: 64,
  timeoutSeconds: 0.1,
  'hover.timeoutSeconds': 0.1,
};

export interface Limit {
  /** The value to send the server (undefined: the server's default). */
  value: unknown;
  /** One line per workspace value that was ignored, saying why and what to do. */
  ignored: string[];
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The value of the sandbox limit `key`: the user's (or the default), lowered by a workspace's. */
export function sandboxLimit(key: string, scopes: SettingScopes | undefined): Limit {
  const minimum = SANDBOX_LIMITS[key] ?? 0;
  const user = scopes?.globalValue;
  const ceiling = isNumber(user) ? user : scopes?.defaultValue;
  let value = user ?? scopes?.defaultValue;
  const ignored: string[] = [];
  const workspace: [string, unknown][] = [
    ['workspace', scopes?.workspaceValue],
    ['workspace folder', scopes?.workspaceFolderValue],
  ];
  for (const [where, candidate] of workspace) {
    if (candidate === undefined || candidate === null) continue;
    const tightens = isNumber(candidate) && isNumber(ceiling) && candidate >= minimum && candidate <= ceiling;
    if (tightens && (!isNumber(value) || candidate < value)) value = candidate;
    if (!tightens) {
      ignored.push(
        `derivlens.${key} = ${JSON.stringify(candidate)} in the ${where} settings is ignored: ` +
          `a workspace may only lower this limit (to ${minimum} at least; it is ${JSON.stringify(ceiling)} ` +
          `from your user settings or the default). To raise it, set it in your user settings.`,
      );
    }
  }
  return { value, ignored };
}
