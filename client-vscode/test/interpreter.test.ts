import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  CHECK_SCRIPT,
  chooseInterpreter,
  expandPath,
  installCommand,
  missingMessage,
  listed,
  missingPackages,
  parseCheckOutput,
  serverEnv,
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
  const all = { derivlens: true, torch: true, matplotlib: true, numpy: true };
  it('parses the check line, ignoring other output', () => {
    const out =
      'some warning\n{"python": "3.11.2", "executable": "/v/bin/python", "derivlens_at": "/ext/bundled/libs/derivlens/__init__.py", "derivlens": true, "torch": false, "matplotlib": true, "numpy": true}\n';
    assert.deepEqual(parseCheckOutput(out), {
      python: '3.11.2',
      executable: '/v/bin/python',
      derivlensAt: '/ext/bundled/libs/derivlens/__init__.py',
      derivlens: true,
      torch: false,
      matplotlib: true,
      numpy: true,
    });
    assert.equal(parseCheckOutput('garbage'), undefined);
  });
  it('names exactly what is missing', () => {
    assert.deepEqual(missingPackages({ derivlens: false, torch: false, matplotlib: false, numpy: false }), ['derivlens', 'torch', 'matplotlib', 'numpy']);
    assert.deepEqual(missingPackages({ ...all, torch: false }), ['torch']);
    assert.deepEqual(missingPackages({ ...all, torch: false, numpy: false }), ['torch', 'numpy']);
    assert.deepEqual(missingPackages(all), []);
    const m = missingMessage({ path: '/usr/bin/python3', source: 'default' }, ['torch']);
    assert.match(m, /\/usr\/bin\/python3/);
    assert.match(m, /does not have the torch package\. Install it/);
    assert.match(missingMessage({ path: 'p', source: 'setting' }, ['torch', 'matplotlib', 'numpy']), /the torch, matplotlib and numpy packages\. Install them.*pythonPath/);
    assert.equal(listed(['a', 'b']), 'a and b');
  });
  it('install command: derivlens pulls in the rest, else exactly what is missing', () => {
    assert.equal(installCommand('/v/bin/python', ['derivlens', 'torch']), '/v/bin/python -m pip install derivlens');
    assert.equal(installCommand('/v/bin/python', ['torch', 'matplotlib', 'numpy']), '/v/bin/python -m pip install torch matplotlib numpy');
    assert.equal(installCommand('/my venv/python', ['numpy']), "'/my venv/python' -m pip install numpy");
  });
  it('the bundled server goes first on PYTHONPATH', () => {
    assert.equal(serverEnv({ PATH: '/bin' }, '/ext/bundled/libs', ':').PYTHONPATH, '/ext/bundled/libs');
    assert.equal(serverEnv({ PYTHONPATH: '/mine' }, '/ext/bundled/libs', ':').PYTHONPATH, '/ext/bundled/libs:/mine');
    assert.equal(serverEnv({ PYTHONPATH: '/mine' }, undefined, ':').PYTHONPATH, '/mine', 'no bundle: the interpreter\'s own derivlens');
    assert.equal(serverEnv({}, undefined, ':').PYTHONUNBUFFERED, '1');
  });
  it('keeps the working directory off sys.path: PYTHONSAFEPATH, no empty PYTHONPATH entries', () => {
    assert.equal(serverEnv({}, undefined, ':').PYTHONSAFEPATH, '1');
    assert.equal(serverEnv({ PYTHONSAFEPATH: '' }, '/b', ':').PYTHONSAFEPATH, '1');
    assert.equal(serverEnv({ PYTHONPATH: ':/mine::.' }, '/b', ':').PYTHONPATH, '/b:/mine');
    assert.equal(serverEnv({ PYTHONPATH: '' }, undefined, ':').PYTHONPATH, undefined);
  });
  it('the check script runs in a real python3, and finds a bundled derivlens', (t) => {
    let out: string;
    const bundle = path.resolve(__dirname, '..', '..', 'server');
    try {
      out = execFileSync('python3', ['-c', CHECK_SCRIPT], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: bundle } });
    } catch {
      t.skip('no python3');
      return;
    }
    const r = parseCheckOutput(out);
    assert.ok(r);
    assert.equal(r.derivlens, true);
    assert.equal(r.derivlensAt, path.join(bundle, 'derivlens', '__init__.py'));
    assert.equal(typeof r.torch, 'boolean');
  });
});
