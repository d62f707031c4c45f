// Build with esbuild.
//   node scripts/build.mjs               -> dist/extension.js (sourcemaps)
//   node scripts/build.mjs --production  -> dist/extension.js (minified)
//   node scripts/build.mjs --watch       -> rebuild on change
//   node scripts/build.mjs --tests       -> out-test/*.test.js (unit tests of src/logic, no vscode)
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = new Set(process.argv.slice(2));

if (argv.has('--tests')) {
  const dir = path.join(root, 'test');
  const entryPoints = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f));
  fs.rmSync(path.join(root, 'out-test'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: path.join(root, 'out-test'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode'],
    logLevel: 'warning',
  });
} else {
  const production = argv.has('--production');
  const options = {
    entryPoints: [path.join(root, 'src', 'extension.ts')],
    outfile: path.join(root, 'dist', 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    minify: production,
    sourcemap: !production,
    logLevel: 'warning',
  };
  if (argv.has('--watch')) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    console.log('watching…');
  } else {
    fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
    await esbuild.build(options);
  }
}
