import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_ONLY_SETTINGS, serverSettings } from '../src/logic/settings';

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

describe('serverSettings', () => {
  it('the server settings, nested, with the hover sparkline off (VS Code shows the image)', () => {
    assert.deepEqual(serverSettings((k) => vscodeDefaults[k]), {
      domain: [-5, 5],
      order: 1,
      hover: { enabled: true, timeoutSeconds: 3, sparkline: false },
      codeLens: { enabled: true },
      timeoutSeconds: 10,
      memoryLimitMB: 2048,
      theme: 'auto',
    });
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
