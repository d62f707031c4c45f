#!/usr/bin/env bash
# Set up everything and run every check: lint, types, the client's build and unit tests,
# and the whole pytest suite (engine, sandbox, language server over stdio, Neovim, and a
# real VS Code driven headless). Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$(date +%s)
step() { echo; echo "== [$(( $(date +%s) - t0 ))s] $*"; }

step "Python environment"
bash scripts/setup.sh

step "system packages for the editor tests (neovim, chromium, libkrb5-dev)"
missing=()
command -v nvim >/dev/null || missing+=(neovim)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

step "VS Code client: npm ci, typecheck"
(cd client-vscode && npm ci --no-audit --no-fund --loglevel=error && npm run -s typecheck)

step "VS Code end-to-end tools (Node 24, code-server, playwright-core)"
bash scripts/setup_vscode_e2e.sh

step "lint and types (ruff, mypy)"
.venv/bin/ruff check server tests bench scripts
.venv/bin/ruff format --check server tests bench scripts
.venv/bin/mypy

step "pytest"
.venv/bin/pytest "$@"
