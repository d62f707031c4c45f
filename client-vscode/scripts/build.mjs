// Build with esbuild.
//   node scripts/build.mjs               -> dist/extension.js, dist/webview.js (sourcemaps),
//                                           dist/katex/ (KaTeX's stylesheet and fonts)
//   node scripts/build.mjs --production  -> the same, minified, and dist/README.md (below)
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
  const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning' };
  const builds = [
    // The extension host side.
    {
      ...common,
      entryPoints: [path.join(root, 'src', 'extension.ts')],
      outfile: path.join(root, 'dist', 'extension.js'),
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      external: ['vscode'],
    },
    // The panel's webview script (loaded with a nonce; sourcemaps inline: the webview's
    // CSP allows nothing but its own scripts).
    {
      ...common,
      entryPoints: [path.join(root, 'src', 'webview', 'panel.ts')],
      outfile: path.join(root, 'dist', 'webview.js'),
      platform: 'browser',
      format: 'iife',
      target: 'es2020',
      sourcemap: production ? false : 'inline',
    },
  ];
  if (argv.has('--watch')) {
    copyKatexAssets();
    for (const options of builds) await (await esbuild.context(options)).watch();
    console.log('watching…');
  } else {
    fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
    await Promise.all(builds.map((options) => esbuild.build(options)));
    copyKatexAssets();
    if (production) packagedReadme();
  }
}

/**
 * KaTeX's stylesheet and its fonts into dist/katex/, where the panel loads them from (its
 * own resource origin: the webview's CSP allows no other). Only the woff2 fonts: the
 * stylesheet names them first, and every VS Code webview reads woff2.
 */
function copyKatexAssets() {
  const from = path.join(root, 'node_modules', 'katex', 'dist');
  const to = path.join(root, 'dist', 'katex');
  fs.mkdirSync(path.join(to, 'fonts'), { recursive: true });
  fs.copyFileSync(path.join(from, 'katex.min.css'), path.join(to, 'katex.min.css'));
  for (const font of fs.readdirSync(path.join(from, 'fonts')).filter((f) => f.endsWith('.woff2'))) {
    fs.copyFileSync(path.join(from, 'fonts', font), path.join(to, 'fonts', font));
  }
}

/**
 * The README of `npm run package` (`vsce package --readme-path dist/README.md`): README.md,
 * whose screenshots are in media/screenshots/ and ship in the .vsix, linked relatively (a
 * plain `vsce package` takes README.md itself and rewrites them against `repository`).
 * VS Code's extension page shows only http(s) images, though (it strips relative and data:
 * sources): with DERIVLENS_README_IMAGES_URL set to where media/screenshots/ is published
 * (https), the packaged README links the images there instead.
 */
function packagedReadme() {
  const base = (process.env.DERIVLENS_README_IMAGES_URL || '').replace(/\/+$/, '');
  if (base && !/^https:\/\//.test(base)) throw new Error('DERIVLENS_README_IMAGES_URL must be an https URL');
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const out = text.replace(/(!\[[^\]]*\]\()([^)\s]+)(\))/g, (whole, open, link, close) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return whole; // absolute: as it is
    const file = path.resolve(root, link);
    if (path.relative(root, file).startsWith('..') || !fs.existsSync(file)) {
      throw new Error(`README.md: no image ${link} in the extension's folder`);
    }
    return base ? `${open}${base}/${path.basename(file)}${close}` : whole;
  });
  fs.writeFileSync(path.join(root, 'dist', 'README.md'), out);
}
