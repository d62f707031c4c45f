// Bundles the language server into the extension (bundled/libs), as Microsoft's Python
// tools extensions do: the pure-Python package `derivlens` (server/derivlens) and its
// pure-Python dependencies, installed with pip --target at the versions of the repository's
// constraints.txt. An interpreter with torch, matplotlib and numpy is then all a user needs:
// the client puts bundled/libs first on PYTHONPATH for `python -m derivlens serve`, and the
// server's sandbox worker finds the same folder (it is where `derivlens` is).
//
//   node scripts/bundle_server.mjs        (env PYTHON: the Python that runs pip)
//
// No torch, numpy or matplotlib here (the user's interpreter has them, built for it), and
// only wheels that are pure Python ("py" implementation), so one bundle serves Python 3.10+
// on every platform. Their licences stay with them (the *.dist-info folders).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(root, '..');
const libs = path.join(root, 'bundled', 'libs');
/** What `derivlens serve` and its sandbox worker import beyond the standard library,
 *  torch, numpy and matplotlib (pyproject.toml's dependencies, and theirs). */
const PACKAGES = ['pygls', 'lsprotocol', 'cattrs', 'attrs', 'pyseccomp', 'typing_extensions', 'exceptiongroup'];
/** The oldest Python derivlens supports: its environment markers decide what is needed. */
const PYTHON_VERSION = '3.10';

function python() {
  if (process.env.PYTHON) return process.env.PYTHON;
  const venv = path.join(repo, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

function copyPackage(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name === '__pycache__' || entry.name.endsWith('.pyc')) continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyPackage(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

const py = python();
fs.rmSync(path.join(root, 'bundled'), { recursive: true, force: true });
fs.mkdirSync(libs, { recursive: true });
const pip = spawnSync(
  py,
  [
    '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input',
    '--target', libs, '--no-deps', '--only-binary=:all:', '--implementation', 'py',
    '--python-version', PYTHON_VERSION, '--no-compile',
    '-c', path.join(repo, 'constraints.txt'), ...PACKAGES,
  ],
  { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' },
);
// (A machine whose pip configuration names index folders it lacks warns once per package.)
const noise = /is ignored: it is neither a file nor a directory/;
process.stderr.write(pip.stderr.split('\n').filter((l) => l && !noise.test(l)).map((l) => l + '\n').join(''));
if (pip.status !== 0) throw new Error(`bundle_server: pip install --target failed (${pip.status ?? pip.signal})`);
fs.rmSync(path.join(libs, 'bin'), { recursive: true, force: true }); // console scripts: not used
copyPackage(path.join(repo, 'server', 'derivlens'), path.join(libs, 'derivlens'));

// Every package pinned (a version missing from constraints.txt would float), and the server
// importable from the bundle and the standard library alone (-S: no site-packages).
const pinned = fs.readFileSync(path.join(repo, 'constraints.txt'), 'utf8').toLowerCase().replace(/-/g, '_');
const unpinned = PACKAGES.filter((p) => !new RegExp(`^${p.toLowerCase()}==`, 'm').test(pinned));
if (unpinned.length) throw new Error(`bundle_server: pin ${unpinned.join(', ')} in constraints.txt`);
execFileSync(py, ['-S', '-c', 'import sys; sys.path.insert(0, sys.argv[1]); import derivlens.lsp.server, derivlens.sandbox.worker', libs], {
  stdio: 'inherit',
});
const version = execFileSync(py, ['-S', '-c', 'import sys; sys.path.insert(0, sys.argv[1]); import derivlens; print(derivlens.__version__)', libs])
  .toString()
  .trim();
const installed = fs.readdirSync(libs).filter((n) => n.endsWith('.dist-info')).map((n) => n.replace(/\.dist-info$/, ''));
console.log(`bundled derivlens ${version} with ${installed.join(', ')} into ${path.relative(root, libs)}`);
