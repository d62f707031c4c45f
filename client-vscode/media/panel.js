// derivlens plot panel (webview). Renders the view model the extension posts and sends
// the user's actions back. Loaded from a file with a nonce (strict CSP, no inline code).
// @ts-check
(function () {
  // @ts-ignore - provided by VS Code
  const vscode = acquireVsCodeApi();
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

  const inputs = ['domain-min', 'domain-max', 'ydomain-min', 'ydomain-max', 'order', 'samples'];
  // The options with a control, and the inputs of each (a message about one sits beside them).
  /** @type {Record<string, string[]>} */
  const optionInputs = { domain: ['domain-min', 'domain-max'], ydomain: ['ydomain-min', 'ydomain-max'], order: ['order'], samples: ['samples'] };
  const rawKeys = { 'domain-min': 'domainMin', 'domain-max': 'domainMax', 'ydomain-min': 'ydomainMin', 'ydomain-max': 'ydomainMax', order: 'order', samples: 'samples' };
  /** @type {any} */
  let last = null;

  function rawControls() {
    /** @type {Record<string, string>} */
    const raw = {};
    for (const id of inputs) {
      const el = $(id);
      if (id.startsWith('ydomain') && !(last && last.twoVariables)) continue;
      if (id === 'order' && last && last.twoVariables) continue;
      raw[/** @type {any} */ (rawKeys)[id]] = el.value;
    }
    return raw;
  }

  /** @type {any} */
  let pending;
  // Enter in a field fires both `change` and `submit`: send one request for both.
  function sendControls() {
    clearTimeout(pending);
    pending = setTimeout(() => vscode.postMessage({ type: 'controls', raw: rawControls() }), 30);
  }

  function setText(id, text) {
    const el = $(id);
    if (el.textContent !== text) el.textContent = text;
  }

  function setValue(id, value) {
    const el = $(id);
    if (document.activeElement === el) return; // never overwrite what the user is typing
    if (el.value !== value) el.value = value;
  }

  /** The message beside an option's control: the server's (title, kind, message) or a local check's. */
  function renderFieldError(option, /** @type {{kind: string, title: string, message: string} | undefined} */ e) {
    const box = $(`${option}-message`);
    const group = box.closest('.option');
    group.classList.toggle('invalid', !!e);
    for (const id of optionInputs[option]) {
      if (e) $(id).setAttribute('aria-invalid', 'true');
      else $(id).removeAttribute('aria-invalid');
    }
    const key = e ? JSON.stringify([e.kind, e.title, e.message]) : '';
    if (box.dataset.key === key) return; // unchanged: not announced again
    box.dataset.key = key;
    box.hidden = !e;
    box.setAttribute('role', e ? 'alert' : 'none');
    box.dataset.kind = e ? e.kind : '';
    if (!e) {
      box.replaceChildren();
      return;
    }
    const parts = [];
    if (e.title) parts.push(Object.assign(document.createElement('strong'), { className: 'title', textContent: e.title }));
    if (e.kind) parts.push(Object.assign(document.createElement('code'), { className: 'kind', textContent: e.kind }));
    parts.push(Object.assign(document.createElement('span'), { className: 'text', textContent: e.message }));
    box.replaceChildren(...parts);
  }

  function render(v) {
    last = v;
    document.body.dataset.status = v.status;
    document.body.dataset.seq = String(v.seq);
    document.body.classList.toggle('stale', !!v.stale);
    setText('title', v.title);
    setText('subtitle', v.subtitle);
    const method = $('method');
    method.hidden = !v.method;
    setText('method', v.method);
    method.classList.toggle('fd', v.method === 'finite-difference');
    setText('status', v.status === 'loading' ? 'Plotting…' : v.stale ? 'showing the last good plot' : '');

    const err = $('error');
    // v.error is the error box; an invalid option's message sits beside its control instead.
    err.hidden = !v.error;
    if (v.error) {
      setText('error-title', v.error.title);
      setText('error-kind', v.error.kind);
      setText('error-message', v.error.message);
    }

    const warnings = $('warnings');
    warnings.replaceChildren(
      ...v.warnings.map((/** @type {{kind: string, message: string}} */ w) => {
        const li = document.createElement('li');
        const k = document.createElement('span');
        k.className = 'kind';
        k.textContent = w.kind;
        li.append(k, document.createTextNode(w.message));
        return li;
      }),
    );
    warnings.hidden = v.warnings.length === 0;

    const fig = $('figure');
    const img = $('plot');
    if (v.image) {
      if (img.getAttribute('src') !== v.image.src) img.src = v.image.src;
      img.width = v.image.width;
      img.height = v.image.height;
      img.alt = `Plot of ${v.title} and its derivatives`;
      img.dataset.format = v.image.format;
      fig.hidden = false;
    } else {
      fig.hidden = true;
      img.removeAttribute('src');
    }

    $('details').hidden = !v.fixed && !v.critical;
    setText('fixed', v.fixed);
    setText('critical', v.critical);

    setText('domain-label', v.twoVariables ? 'x from' : 'from');
    $('ydomain-fields').hidden = !v.twoVariables;
    $('order').disabled = v.twoVariables;
    for (const id of inputs) setValue(id, v.controls[/** @type {any} */ (rawKeys)[id]]);
    $('follow').checked = v.follow;

    for (const id of ['save-png', 'save-svg', 'copy-csv']) $(id).disabled = !v.canExport;
    for (const option of Object.keys(optionInputs)) renderFieldError(option, v.fieldErrors[option]);
    setText('footer', v.footer);
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'view') {
      render(msg.view);
      if (msg.persist) vscode.setState(msg.persist);
    }
  });

  for (const id of inputs) $(id).addEventListener('change', sendControls);
  $('controls').addEventListener('submit', (/** @type {Event} */ e) => {
    e.preventDefault();
    sendControls();
  });
  $('reset').addEventListener('click', () => vscode.postMessage({ type: 'reset' }));
  $('follow').addEventListener('change', () => vscode.postMessage({ type: 'follow', on: $('follow').checked }));
  $('save-png').addEventListener('click', () => vscode.postMessage({ type: 'savePng' }));
  $('save-svg').addEventListener('click', () => vscode.postMessage({ type: 'saveSvg' }));
  $('copy-csv').addEventListener('click', () => vscode.postMessage({ type: 'copyCsv' }));

  vscode.postMessage({ type: 'ready' });
})();
