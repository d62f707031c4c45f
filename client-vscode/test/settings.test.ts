import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_LIMITS, type ScopeReader, type SettingScopes, sandboxLimit } from '../src/logic/limits';
import { CLIENT_ONLY_SETTINGS, limitedServerSettings, serverSettings } from '../src/logic/settings';

const vscodeDefaults: Record<string, unknown> = {
  pythonPath: '/v/bin/python',
  domain: [-5, 5],
  order: 1,
  samples: null,
  'hover.enabled': true,
  'hover.timeoutSeconds': 3,
  'codeLens.enabled': true,
  timeoutSeconds: 10,
  memoryLimitMB: 2048,
  theme: 'auto',
};

/** What the server is sent for `vscodeDefaults`. */
const SENT_DEFAULTS = {
  domain: [-5, 5],
  order: 1,
  hover: { enabled: true, timeoutSeconds: 3, sparkline: false },
  codeLens: { enabled: true },
  timeoutSeconds: 10,
  memoryLimitMB: 2048,
  theme: 'auto',
};

describe('serverSettings', () => {
  it('the server settings, nested, with the hover sparkline off (VS Code shows the image)', () => {
    assert.deepEqual(serverSettings((k) => vscodeDefaults[k]), SENT_DEFAULTS);
  });
  it('never sends pythonPath', () => {
    const sent = JSON.stringify(serverSettings((k) => vscodeDefaults[k]));
    for (const key of CLIENT_ONLY_SETTINGS) assert.ok(!sent.includes(key), key);
    assert.ok(!sent.includes('/v/bin/python'));
  });
  it('samples only when set; values go as they are (the server checks them)', () => {
    const s = serverSettings((k) => ({ ...vscodeDefaults, samples: 1000, order: 9 })[k]);
    assert.equal(s.samples, 1000);
    assert.equal(s.order, 9);
  });
});

describe('sandbox limits: a workspace may only tighten them', () => {
  const defaults: Record<string, number> = { memoryLimitMB: 2048, timeoutSeconds: 10, 'hover.timeoutSeconds': 3 };
  const scopes =
    (values: Record<string, SettingScopes>): ScopeReader =>
    (key) => ({ defaultValue: defaults[key], ...values[key] });

  it('covers every limit the package declares with its minimum, and nothing else', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    const declared = manifest.contributes.configuration.properties as Record<string, { minimum?: number }>;
    assert.deepEqual(Object.keys(SANDBOX_LIMITS).sort(), ['hover.timeoutSeconds', 'memoryLimitMB', 'timeoutSeconds']);
    for (const [key, minimum] of Object.entries(SANDBOX_LIMITS)) {
      assert.equal(declared[`derivlens.${key}`].minimum, minimum, key);
    }
  });
  it('a workspace value above the user value is ignored and said so', () => {
    const limit = sandboxLimit('memoryLimitMB', { defaultValue: 2048, globalValue: 4096, workspaceValue: 65536 });
    assert.equal(limit.value, 4096);
    assert.equal(limit.ignored.length, 1);
    assert.match(limit.ignored[0], /^derivlens\.memoryLimitMB = 65536 in the workspace settings is ignored: /);
    assert.match(limit.ignored[0], /it is 4096 from your user settings or the default\)\. To raise it, set it in your user settings\.$/);
  });
  it('without a user value the default is the ceiling', () => {
    const limit = sandboxLimit('timeoutSeconds', { defaultValue: 10, workspaceValue: 3600 });
    assert.equal(limit.value, 10);
    assert.match(limit.ignored[0], /^derivlens\.timeoutSeconds = 3600 in the workspace settings is ignored/);
  });
  it('a workspace value below the user value tightens it, without a note', () => {
    assert.deepEqual(sandboxLimit('hover.timeoutSeconds', { defaultValue: 3, globalValue: 5, workspaceValue: 1.5 }), {
      value: 1.5,
      ignored: [],
    });
    assert.deepEqual(sandboxLimit('memoryLimitMB', { defaultValue: 2048, globalValue: 2048, workspaceValue: 2048 }), {
      value: 2048,
      ignored: [],
    });
  });
  it('the user may raise a limit; the lowest of the workspace and folder values wins', () => {
    assert.deepEqual(sandboxLimit('memoryLimitMB', { defaultValue: 2048, globalValue: 8192 }), { value: 8192, ignored: [] });
    const both = sandboxLimit('memoryLimitMB', { defaultValue: 2048, workspaceValue: 512, workspaceFolderValue: 1024 });
    assert.deepEqual(both, { value: 512, ignored: [] });
    const folder = sandboxLimit('memoryLimitMB', { defaultValue: 2048, workspaceValue: 512, workspaceFolderValue: 4096 });
    assert.equal(folder.value, 512);
    assert.match(folder.ignored[0], /^derivlens\.memoryLimitMB = 4096 in the workspace folder settings is ignored/);
  });
  it('a workspace value the server would refuse (and replace by its default) is ignored', () => {
    for (const bad of [1, 0, -5, '4096', true, [1]]) {
      const limit = sandboxLimit('memoryLimitMB', { defaultValue: 2048, globalValue: 512, workspaceValue: bad });
      assert.equal(limit.value, 512, String(bad));
      assert.equal(limit.ignored.length, 1, String(bad));
    }
  });
  it('the settings sent to the server carry the decided limits and list what was ignored', () => {
    const { settings, ignored } = limitedServerSettings(
      (k) => ({ ...vscodeDefaults, memoryLimitMB: 65536, timeoutSeconds: 1, 'hover.timeoutSeconds': 600 })[k],
      scopes({
        memoryLimitMB: { workspaceValue: 65536 },
        timeoutSeconds: { workspaceValue: 1 },
        'hover.timeoutSeconds': { globalValue: 5, workspaceFolderValue: 600 },
      }),
    );
    assert.deepEqual(settings, {
      ...SENT_DEFAULTS,
      hover: { ...SENT_DEFAULTS.hover, timeoutSeconds: 5 },
      timeoutSeconds: 1,
      memoryLimitMB: 2048,
    });
    assert.equal(ignored.length, 2);
    assert.match(ignored[0], /^derivlens\.memoryLimitMB = 65536 in the workspace settings/);
    assert.match(ignored[1], /^derivlens\.hover\.timeoutSeconds = 600 in the workspace folder settings/);
  });
});
