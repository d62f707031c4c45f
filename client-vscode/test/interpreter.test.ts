import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  CHECK_SCRIPT,
  chooseInterpreter,
  expandPath,
  installCommand,
  missingMessage,
  missingPackages,
  parseCheckOutput,
} from '../src/logic/interpreter';

describe('chooseInterpreter', () => {
  it('setting first, then the Python extension, then python3', () => {
    assert.deepEqual(chooseInterpreter({ setting: '/opt/py/bin/python', pythonExtension: '/venv/bin/python' }), {
      path: '/opt/py/bin/python',
      source: 'setting',
    });
    assert.deepEqual(chooseInterpreter({ setting: '  ', pythonExtension: '/venv/bin/python' }), {
      path: '/venv/bin/python',
      source: 'python-extension',
    });
    assert.deepEqual(chooseInterpreter({ setting: '', pythonExtension: undefined }), { path: 'python3', source: 'default' });
    assert.deepEqual(chooseInterpreter({}), { path: 'python3', source: 'default' });
  });
  it('expands ${workspaceFolder}, ~ and ${env:X} in the setting', () => {
    assert.equal(chooseInterpreter({ setting: '${workspaceFolder}/.venv/bin/python', workspaceFolder: '/w' }).path, '/w/.venv/bin/python');
    assert.equal(expandPath('~/py/bin/python', { home: '/home/u' }), '/home/u/py/bin/python');
    assert.equal(expandPath('${env:VENV}/bin/python', { env: { VENV: '/v' } }), '/v/bin/python');
    assert.equal(expandPath('${userHome}/p', { home: '/h' }), '/h/p');
  });
});

describe('interpreter check', () => {
  it('parses the check line, ignoring other output', () => {
    const out = 'some warning\n{"python": "3.11.2", "executable": "/v/bin/python", "derivlens": true, "torch": false}\n';
    assert.deepEqual(parseCheckOutput(out), { python: '3.11.2', executable: '/v/bin/python', derivlens: true, torch: false });
    assert.equal(parseCheckOutput('garbage'), undefined);
  });
  it('names exactly what is missing', () => {
    assert.deepEqual(missingPackages({ derivlens: false, torch: false }), ['derivlens', 'torch']);
    assert.deepEqual(missingPackages({ derivlens: true, torch: false }), ['torch']);
    assert.deepEqual(missingPackages({ derivlens: true, torch: true }), []);
    const m = missingMessage({ path: '/usr/bin/python3', source: 'default' }, ['torch']);
    assert.match(m, /\/usr\/bin\/python3/);
    assert.match(m, /does not have the torch package/);
    assert.match(missingMessage({ path: 'p', source: 'setting' }, ['derivlens', 'torch']), /derivlens and torch packages.*pythonPath/);
  });
  it('install command', () => {
    assert.equal(installCommand('/v/bin/python', ['derivlens', 'torch']), '/v/bin/python -m pip install derivlens');
    assert.equal(installCommand('/v/bin/python', ['torch']), '/v/bin/python -m pip install torch');
    assert.equal(installCommand('/my venv/python', ['derivlens']), "'/my venv/python' -m pip install derivlens");
  });
  it('the check script runs in a real python3', (t) => {
    let out: string;
    try {
      out = execFileSync('python3', ['-c', CHECK_SCRIPT], { encoding: 'utf8' });
    } catch {
      t.skip('no python3');
      return;
    }
    const r = parseCheckOutput(out);
    assert.ok(r);
    assert.equal(typeof r.derivlens, 'boolean');
    assert.equal(typeof r.torch, 'boolean');
  });
});
