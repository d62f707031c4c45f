#!/usr/bin/env bash
# Set up everything the Python side needs: a venv in .venv with the package (editable)
# and its dev tools, at the versions pinned in constraints.txt (torch 2.13.0 CPU).
# Idempotent: a second run only checks. Usage: bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
echo "[setup] installing derivlens and its dependencies (constraints.txt)"
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]' 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import derivlens, torch, matplotlib, pygls" \
  || { echo "[setup] the install did not complete" >&2; exit 1; }
echo "[setup] ready: $(.venv/bin/derivlens --version), torch $(.venv/bin/python -c 'import torch; print(torch.__version__)')"
