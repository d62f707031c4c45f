// The `derivlens` settings this client sends the server (docs/protocol.md, "Settings").
//
// Sent in initializationOptions, as the answer to workspace/configuration, and with every
// didChangeConfiguration, so the server sees the same object from each. `pythonPath` is the
// client's own (it picks the interpreter that runs the server) and never goes to the server.
// The sandbox's limits come from the user's settings, lowered but never raised by a
// workspace's (logic/limits.ts).

import { SANDBOX_LIMITS, type ScopeReader, sandboxLimit } from './limits';

/** Reads one `derivlens.*` setting (VS Code: `getConfiguration('derivlens').get(key)`). */
export type SettingReader = (key: string) => unknown;

/** Settings of this extension the server has no use for. */
export const CLIENT_ONLY_SETTINGS = ['pythonPath'] as const;

export function serverSettings(get: SettingReader): Record<string, unknown> {
  const s: Record<string, unknown> = {
    domain: get('domain'),
    order: get('order'),
    hover: {
      enabled: get('hover.enabled'),
      timeoutSeconds: get('hover.timeoutSeconds'),
      // VS Code shows the hover's image: the block-character sparkline is for text-only clients.
      sparkline: false,
    },
    codeLens: { enabled: get('codeLens.enabled') },
    timeoutSeconds: get('timeoutSeconds'),
    memoryLimitMB: get('memoryLimitMB'),
    theme: get('theme'),
  };
  const samples = get('samples');
  if (samples !== null && samples !== undefined) s.samples = samples; // unset: the server's default for the arity
  return s;
}

/** The server's settings with the sandbox limits decided by scope, and what was ignored. */
export function limitedServerSettings(
  get: SettingReader,
  scopes: ScopeReader,
): { settings: Record<string, unknown>; ignored: string[] } {
  const limits = new Map(Object.keys(SANDBOX_LIMITS).map((key) => [key, sandboxLimit(key, scopes(key))]));
  const settings = serverSettings((key) => {
    const limit = limits.get(key);
    return limit ? limit.value : get(key);
  });
  return { settings, ignored: [...limits.values()].flatMap((limit) => limit.ignored) };
}
