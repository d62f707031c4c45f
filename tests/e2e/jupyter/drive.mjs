// derivlens in a real JupyterLab: playwright-core drives Debian's Chromium against
// `jupyter lab` (jupyterlab-lsp, the derivlens spec opted in), Ctrl+hovers a `def` in a
// notebook cell and checks the hover's image. Run by test_jupyter_e2e.py; prints one line
// `RESULTS {json}`.
//
// Env: LAB_URL (with ?token=…), SHOTS, CHROME, PW_CORE, PROFILE, STEP_TIMEOUT_MS.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW_CORE || 'playwright-core');
const SHOTS = process.env.SHOTS;
const T = Number(process.env.STEP_TIMEOUT_MS || 60000);
fs.mkdirSync(SHOTS, { recursive: true });
const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const results = {};

const context = await chromium.launchPersistentContext(process.env.PROFILE, {
  executablePath: process.env.CHROME || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  deviceScaleFactor: 1,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const page = context.pages()[0] || (await context.newPage());
page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
try {
  await page.goto(process.env.LAB_URL, { timeout: T });
  const line = page.locator('.jp-Cell .cm-line', { hasText: 'def f(x):' }).first();
  await line.waitFor({ state: 'visible', timeout: T });
  log('notebook open');
  const hover = page.locator('.lsp-hover');
  const box = await line.boundingBox();
  // The name `f` sits after `def `: four monospace characters in.
  const x = box.x + (box.width / 'def f(x):'.length) * 4.5;
  const y = box.y + box.height / 2;
  const deadline = Date.now() + 2 * T;
  while (Date.now() < deadline && !(await hover.isVisible().catch(() => false))) {
    await page.mouse.move(x + 30, y + 60);
    await page.keyboard.down('Control');
    await page.mouse.move(x, y, { steps: 3 });
    await page.waitForTimeout(1500);
    await page.keyboard.up('Control');
  }
  await page.keyboard.down('Control');
  await page.mouse.move(x, y + 1);
  const img = hover.locator('img').first();
  await img.waitFor({ state: 'visible', timeout: T });
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: T });
  const info = await img.evaluate((el) => ({
    width: el.getAttribute('width'), height: el.getAttribute('height'),
    naturalWidth: el.naturalWidth, naturalHeight: el.naturalHeight,
    shownWidth: el.getBoundingClientRect().width, shownHeight: el.getBoundingClientRect().height,
    alt: el.getAttribute('alt'), src: el.getAttribute('src').slice(0, 22),
  }));
  results.image = info;
  results.text = (await hover.innerText()).slice(0, 300);
  results.screenshot = path.join(SHOTS, 'jupyterlab-hover.png');
  await page.screenshot({ path: results.screenshot });
  log(`hover image ${JSON.stringify(info)}`);
} catch (error) {
  results.failure = String(error);
  await page.screenshot({ path: path.join(SHOTS, 'jupyterlab-failure.png') }).catch(() => {});
}
results.seconds = (Date.now() - t0) / 1000;
console.log(`RESULTS ${JSON.stringify(results)}`);
await context.close();
