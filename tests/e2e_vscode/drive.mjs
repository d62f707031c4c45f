// derivlens e2e driver: playwright-core drives Debian's Chromium against code-server (a real
// VS Code workbench) with the derivlens extension installed, and checks the extension's
// behaviour end to end. Run by test_vscode_e2e.py; prints one line `RESULTS {json}`.
//
// Env: CS_URL, WORKSPACE, SHOTS (screenshot folder), CHROME, PW_CORE (playwright-core dir),
//      PROFILE (an empty Chromium profile dir), STEP_TIMEOUT_MS (default 60000).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW_CORE || 'playwright-core');

const CS_URL = process.env.CS_URL;
const WORKSPACE = process.env.WORKSPACE;
const SHOTS = process.env.SHOTS;
const CHROME = process.env.CHROME || '/usr/bin/chromium';
const PROFILE = process.env.PROFILE;
const T = Number(process.env.STEP_TIMEOUT_MS || 60000);
fs.mkdirSync(SHOTS, { recursive: true });

const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const results = { checks: {}, details: {}, timings: {} };
const check = (name, ok, detail) => {
  results.checks[name] = !!ok;
  if (detail !== undefined) results.details[name] = detail;
  log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail !== undefined ? ' ' + JSON.stringify(detail) : ''}`);
};

const context = await chromium.launchPersistentContext(PROFILE, {
  executablePath: CHROME,
  headless: true,
  viewport: { width: 1600, height: 1000 },
  deviceScaleFactor: 1,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: CS_URL });
const page = context.pages()[0] || (await context.newPage());
page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
const shot = async (name) => {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
};

const qi = page.locator('.quick-input-widget .quick-input-box input');
const editor = page.locator('.editor-instance .monaco-editor').first();
const lines = editor.locator('.view-lines');
// The panel: outer iframe (code-server) -> inner iframe#active-frame (our html).
const panel = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

async function runPaletteCommand(label) {
  // Click the row rather than pressing Enter: Enter runs the best fuzzy match.
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('F1');
    await qi.waitFor({ state: 'visible', timeout: 15000 });
    await qi.fill(`>${label}`);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    try {
      await row.waitFor({ timeout: 10000 });
      await row.click();
      return;
    } catch (e) {
      log(`palette attempt ${attempt + 1} for "${label}" failed: ${e.message.split('\n')[0]}`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  throw new Error(`command "${label}" not found in the palette`);
}

/** The editor line element (div.view-line) whose text starts with `prefix`. */
function lineStarting(prefix) {
  // Monaco renders spaces as U+00A0: match any whitespace where the prefix has a space.
  const re = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, '\\s+');
  return lines.locator('.view-line').filter({ hasText: new RegExp('^\\s*' + re) }).first();
}

/** Click on a word of a line (puts the cursor there). */
async function clickWord(linePrefix, word) {
  const ln = lineStarting(linePrefix);
  await ln.waitFor({ timeout: T });
  const span = ln.locator('span span', { hasText: word }).first();
  await span.click();
}

/** State of the panel: status, title, image src (prefix + length), natural size, error. */
async function panelInfo() {
  return panel.locator('body').evaluate((body) => {
    const img = document.getElementById('plot');
    const err = document.getElementById('error');
    const src = img.getAttribute('src') || '';
    return {
      status: body.dataset.status,
      seq: Number(body.dataset.seq || 0),
      title: document.getElementById('title').textContent,
      src: src ? `${src.slice(0, 40)}…(${src.length})#${src.slice(-60)}` : '',
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      shownWidth: img.width,
      complete: img.complete,
      figureHidden: document.getElementById('figure').hidden,
      error: err.hidden ? null : { kind: document.getElementById('error-kind').textContent, message: document.getElementById('error-message').textContent },
      warnings: document.getElementById('warnings').textContent,
      method: document.getElementById('method').textContent,
    };
  });
}

/** Waits until the panel's state satisfies `pred`; returns the last state seen. */
async function waitPanel(pred, what, timeout = T) {
  const end = Date.now() + timeout;
  let info = null;
  while (Date.now() < end) {
    try {
      info = await panelInfo();
      if (pred(info)) return info;
    } catch {
      /* the webview is (re)loading */
    }
    await page.waitForTimeout(250);
  }
  log(`timed out waiting for the panel: ${what}; last: ${JSON.stringify(info)}`);
  return info;
}

/** Mean RGB of a few pixels near the top-left corner of the plot (drawn onto a canvas). */
async function plotCornerColor() {
  return panel.locator('#plot').evaluate(async (img) => {
    if (!img.complete) await new Promise((r) => { img.onload = r; img.onerror = r; });
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(4, 4, 4, 4).data;
    const n = px.length / 4;
    let r = 0, gg = 0, b = 0;
    for (let i = 0; i < px.length; i += 4) { r += px[i]; gg += px[i + 1]; b += px[i + 2]; }
    return [Math.round(r / n), Math.round(gg / n), Math.round(b / n)];
  });
}
const luminance = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

const ok = (i) => i && i.status === 'result' && i.naturalWidth > 0 && !i.figureHidden;

try {
  // 1. Workbench with the example workspace, then open demo.py.
  await page.goto(`${CS_URL}/?folder=${encodeURIComponent(WORKSPACE)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: T });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'demo.py' }).first().waitFor({ timeout: T });
  results.timings.workbench = (Date.now() - t0) / 1000;
  log('workbench up');
  await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } });
  await page.keyboard.press('Control+P');
  await qi.waitFor({ state: 'visible', timeout: 15000 });
  await qi.fill('demo.py');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'demo.py' }).first().click();
  await lines.filter({ hasText: 'def wave' }).waitFor({ timeout: T });
  check('file_opened', true);

  // The server is up once its code lenses show.
  const lens = page.locator('.codelens-decoration a', { hasText: 'Plot derivative' });
  try {
    await lens.first().waitFor({ timeout: 90000 });
    check('code_lenses_shown', true, { count: await lens.count() });
  } catch {
    check('code_lenses_shown', false);
  }
  results.timings.lenses = (Date.now() - t0) / 1000;

  // 2. Command palette -> panel with a decoded image.
  await clickWord('return torch.sin', 'sin');
  await runPaletteCommand('Plot derivative of this function');
  let info = await waitPanel(ok, 'first plot', 90000);
  check('palette_plot', ok(info) && /wave/.test(info.title), info);
  results.timings.first_plot = (Date.now() - t0) / 1000;
  await page.waitForTimeout(300);
  results.details.shot_panel_light = await shot('panel-light');
  const lightColor = ok(info) ? await plotCornerColor() : null;
  results.details.light_corner = lightColor;

  // 3. Hover over a def: the hover shows an image.
  let hover = null;
  let hoverText = null;
  for (let attempt = 0; attempt < 4 && !(hover && hover.some((i) => i.naturalWidth > 0)); attempt++) {
    await page.mouse.move(5, 5);
    await page.waitForTimeout(300);
    const word = lineStarting('def cubic').locator('span span', { hasText: /^cubic$/ }).first();
    await word.hover();
    try {
      const h = page.locator('.monaco-hover img[src^="data:image"]').first();
      await h.waitFor({ state: 'visible', timeout: 20000 });
      await page.waitForTimeout(500);
      hover = await page.locator('.monaco-hover img').evaluateAll((els) =>
        els.map((e) => ({ src: (e.getAttribute('src') || '').slice(0, 30), naturalWidth: e.naturalWidth, naturalHeight: e.naturalHeight })));
      hoverText = (await page.locator('.monaco-hover').first().innerText()).slice(0, 400);
    } catch {
      log(`hover attempt ${attempt + 1}: no image yet`);
    }
  }
  check('hover_image', hover && hover.some((i) => i.naturalWidth > 0), hover);
  // The client sends hover.sparkline: false: VS Code shows the image, not block characters.
  check('hover_no_sparkline', hoverText !== null && /cubic/.test(hoverText) && !/[▁▂▃▄▅▆▇█]/.test(hoverText), { hoverText });
  results.details.shot_hover = await shot('hover');
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');

  // 4. Click the code lens above `def cubic`: the panel updates.
  const before = await panelInfo();
  const cubicLine = lineStarting('def cubic');
  const lineBox = await cubicLine.boundingBox();
  let clicked = false;
  for (const el of await lens.all()) {
    const b = await el.boundingBox();
    if (b && lineBox && b.y < lineBox.y && lineBox.y - b.y < 3 * lineBox.height) {
      await el.click();
      clicked = true;
      break;
    }
  }
  info = await waitPanel((i) => ok(i) && /cubic/.test(i.title) && i.seq > before.seq, 'lens plot');
  check('code_lens_plot', clicked && ok(info) && /cubic/.test(info.title) && info.src !== before.src, { clicked, ...info });
  await shot('panel-lens');

  // 5. Edit the function: the panel re-plots (the image changes).
  const beforeEdit = await panelInfo();
  const ret = lineStarting('return a * x**3');
  await ret.click();
  await page.keyboard.press('End');
  await page.keyboard.type(' + 2 * x**2', { delay: 30 });
  info = await waitPanel((i) => ok(i) && i.src !== beforeEdit.src && i.seq > beforeEdit.seq, 're-plot after edit');
  check('edit_replot', ok(info) && info.src !== beforeEdit.src && /cubic/.test(info.title), info);
  await shot('panel-edited');

  // 6. Dark theme: the plot's background turns dark.
  const beforeTheme = await panelInfo();
  await ret.click();
  await runPaletteCommand('Preferences: Color Theme');
  await qi.waitFor({ state: 'visible', timeout: 15000 });
  await qi.fill('Dark Modern');
  const themeRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: /^Dark Modern/ }).first();
  await themeRow.waitFor({ timeout: 15000 });
  await themeRow.click();
  info = await waitPanel((i) => ok(i) && i.src !== beforeTheme.src, 're-plot in dark');
  const darkColor = ok(info) ? await plotCornerColor() : null;
  results.details.dark_corner = darkColor;
  const bodyBg = await panel.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor).catch(() => null);
  results.details.dark_page_background = bodyBg;
  check('dark_theme', ok(info) && darkColor && luminance(darkColor) < 90 && lightColor && luminance(lightColor) > 170,
    { light: lightColor, dark: darkColor, pageBackground: bodyBg });
  await page.waitForTimeout(300);
  results.details.shot_panel_dark = await shot('panel-dark');

  // Hover in the dark theme too (for the README).
  await page.mouse.move(5, 5);
  await lineStarting('def wave').locator('span span', { hasText: /^wave$/ }).first().hover();
  await page.locator('.monaco-hover img[src^="data:image"]').first().waitFor({ state: 'visible', timeout: 20000 }).catch(() => {});
  await page.waitForTimeout(500);
  await shot('hover-dark');
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');

  // 7. An infinite loop: a clear error in the panel (kind timeout); the next plot works.
  await clickWord('while True', 'True');
  const beforeLoop = await panelInfo();
  await runPaletteCommand('Plot derivative of this function');
  info = await waitPanel((i) => i.seq > beforeLoop.seq && i.status === 'error', 'timeout error', 90000);
  check('infinite_loop_error', info && info.status === 'error' && info.error && info.error.kind === 'timeout' && info.error.message.length > 0, info);
  results.details.shot_error = await shot('panel-error');

  await clickWord('return torch.sin', 'sin');
  const beforeNext = await panelInfo();
  await runPaletteCommand('Plot derivative of this function');
  info = await waitPanel((i) => ok(i) && i.seq > beforeNext.seq, 'plot after the error');
  check('next_plot_after_error', ok(info) && /wave/.test(info.title) && !info.error, info);
  await shot('panel-after-error');

  // 8. Panel controls: order 3 re-plots with three derivatives.
  const beforeOrder = await panelInfo();
  await panel.locator('#order').fill('3');
  await panel.locator('#order').press('Enter');
  info = await waitPanel((i) => ok(i) && i.seq > beforeOrder.seq, 'order 3');
  check('order_control', ok(info) && info.src !== beforeOrder.src, info);

  // 9. Copy CSV: the clipboard holds the sampled data (header x,f,f',f'',f''').
  await panel.locator('#copy-csv').click();
  await page.locator('.notifications-toasts .notification-toast', { hasText: 'as CSV' }).first().waitFor({ timeout: 15000 }).catch(() => {});
  const csv = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `clipboard error: ${e.message}`);
  const csvLines = csv.trim().split('\n');
  check('copy_csv', csvLines[0] === "x,f,f',f'',f'''" && csvLines.length === 402, { header: csvLines[0], rows: csvLines.length - 1 });
  await page.keyboard.press('Escape');

  // 10. Follow cursor: with the toggle on, moving into another function re-plots it.
  await panel.locator('#follow').check();
  await page.waitForTimeout(300);
  const beforeFollow = await panelInfo();
  await clickWord('return x**2 + 0.5', '0.5');
  info = await waitPanel((i) => ok(i) && /bowl/.test(i.title) && i.seq > beforeFollow.seq, 'follow to bowl');
  check('follow_cursor', ok(info) && /bowl\(x, y\)/.test(info.title), info);
  await page.waitForTimeout(300);
  results.details.shot_surface = await shot('panel-surface-dark');

  // 11. A value the server refuses: 1000 samples for bowl(x, y) (it allows 401 per axis for
  // two variables). Its message sits beside the samples control, the kind is invalid-options
  // (never "Internal error"), the last plot stays (dimmed); a good value re-plots and clears it.
  await panel.locator('#follow').uncheck();
  await clickWord('def bowl', 'bowl');
  const beforeBowl = await panelInfo();
  await runPaletteCommand('Plot derivative of this function');
  info = await waitPanel((i) => ok(i) && /bowl/.test(i.title) && i.seq > beforeBowl.seq, 'bowl opened');
  const bowlSrc = info && info.src;
  const samplesInput = panel.locator('#samples');
  await samplesInput.fill('1000');
  await samplesInput.press('Enter');
  info = await waitPanel((i) => i.status === 'error' && i.seq > beforeBowl.seq + 1, 'invalid samples', 30000);
  const beside = await panel.locator('body').evaluate(() => {
    const input = document.getElementById('samples');
    const box = document.getElementById('samples-message');
    const a = input.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const errorBox = document.getElementById('error');
    return {
      visible: !box.hidden && b.width > 0 && b.height > 0,
      text: box.textContent,
      kind: box.dataset.kind,
      kindShown: (box.querySelector('.kind') || {}).textContent || null,
      titleShown: (box.querySelector('.title') || {}).textContent || null,
      sameGroup: box.closest('.option') === input.closest('.option') && box.closest('.option').dataset.option === 'samples',
      // Directly under the input (a few pixels), overlapping it horizontally.
      gap: Math.round(b.top - a.bottom),
      overlap: Math.round(Math.min(a.right, b.right) - Math.max(a.left, b.left)),
      inputInvalid: input.getAttribute('aria-invalid'),
      inputValue: input.value,
      errorBoxShown: !errorBox.hidden,
      internalAnywhere: /internal error/i.test(document.body.innerText),
      bodyStale: document.body.classList.contains('stale'),
      figureShown: !document.getElementById('figure').hidden,
    };
  });
  check('invalid_samples_beside_control',
    info && info.status === 'error' && beside.visible && /401/.test(beside.text) && beside.kind === 'invalid-options' &&
      beside.kindShown === 'invalid-options' && beside.titleShown === 'Invalid option' && beside.sameGroup && beside.gap >= 0 && beside.gap < 30 && beside.overlap > 0 &&
      !beside.internalAnywhere && beside.figureShown && beside.bodyStale && info.src === bowlSrc && /bowl/.test(info.title),
    { ...beside, status: info && info.status, title: info && info.title, srcUnchanged: info && info.src === bowlSrc });
  await samplesInput.scrollIntoViewIfNeeded().catch(() => {});
  await page.waitForTimeout(300);
  results.details.shot_invalid_samples = await shot('panel-invalid-samples');

  const beforeFix = await panelInfo();
  await samplesInput.fill('41');
  await samplesInput.press('Enter');
  info = await waitPanel((i) => ok(i) && i.seq > beforeFix.seq, 'fixed samples');
  const cleared = await panel.locator('body').evaluate(() => ({
    messageHidden: document.getElementById('samples-message').hidden,
    invalid: document.getElementById('samples').getAttribute('aria-invalid'),
    stale: document.body.classList.contains('stale'),
  }));
  check('invalid_samples_fixed', ok(info) && info.src !== bowlSrc && cleared.messageHidden && !cleared.invalid && !cleared.stale, { ...cleared, title: info && info.title });
  await page.waitForTimeout(300);
  await shot('panel-samples-fixed');

  // The domain fields take what the server reads, such as pi: -pi..pi plots without an error.
  const beforePi = await panelInfo();
  await panel.locator('#domain-min').fill('-pi');
  await panel.locator('#domain-max').fill('pi');
  await panel.locator('#domain-max').press('Enter');
  await page.waitForTimeout(1000); // the blur of the first field may have sent a request too
  info = await waitPanel((i) => ok(i) && i.seq > beforePi.seq, 'domain -pi..pi');
  const piFields = await panel.locator('body').evaluate(() => ({
    min: document.getElementById('domain-min').value,
    max: document.getElementById('domain-max').value,
    type: document.getElementById('domain-min').type,
    message: document.getElementById('domain-message').hidden ? null : document.getElementById('domain-message').textContent,
  }));
  check('domain_pi', ok(info) && info.src !== beforePi.src && piFields.min === '-pi' && piFields.max === 'pi' && piFields.type === 'text' && !piFields.message,
    { ...piFields, status: info && info.status });

  // 12. An interpreter without derivlens and torch: an error that names both, with a fix.
  if (process.env.MACHINE_SETTINGS && process.env.BARE_PYTHON) {
    const ms = JSON.parse(fs.readFileSync(process.env.MACHINE_SETTINGS, 'utf8'));
    ms['derivlens.pythonPath'] = process.env.BARE_PYTHON;
    fs.writeFileSync(process.env.MACHINE_SETTINGS, JSON.stringify(ms, null, 2));
    await page.reload({ waitUntil: 'domcontentloaded' }); // code-server reads settings files at load
    await page.locator('.monaco-workbench').waitFor({ timeout: T });
    const restoredEditor = await page.locator('.editor-instance .view-lines', { hasText: 'def wave' }).first()
      .waitFor({ timeout: 15000 }).then(() => true, () => false);
    if (!restoredEditor) {
      await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } });
      await page.keyboard.press('Control+P');
      await qi.fill('demo.py');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'demo.py' }).first().click();
    }
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'does not have the derivlens and torch packages' }).first();
    let text = null;
    let buttons = [];
    try {
      await toast.waitFor({ timeout: T });
      text = (await toast.locator('.notification-list-item-message').first().textContent()) || '';
      buttons = await toast.locator('.monaco-button').allTextContents();
    } catch {
      /* reported below */
    }
    check('missing_packages_error', text && text.includes(process.env.BARE_PYTHON) && buttons.some((b) => /Install/.test(b)), { text, buttons });
    // The panel came back with the window (webview serializer) and says why it cannot plot.
    await page.locator('.tabs-container .tab', { hasText: 'derivlens' }).first().click().catch(() => {});
    const restored = await waitPanel((i) => i.status === 'error' && i.error && i.error.kind === 'client', 'restored panel', 30000);
    check('panel_restored_after_reload', restored && restored.error && /not running/.test(restored.error.message), restored);
    await shot('missing-packages');
  }
} catch (e) {
  log(`FAILED: ${e.stack || e.message}`);
  results.error = String(e.message || e);
  await shot('failure').catch(() => {});
} finally {
  results.timings.total = (Date.now() - t0) / 1000;
  await context.close().catch(() => {});
}
console.log('RESULTS ' + JSON.stringify(results));
process.exit(Object.values(results.checks).every(Boolean) && !results.error ? 0 : 1);
