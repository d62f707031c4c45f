#!/usr/bin/env bash
# The quick-start demo: set up, then plot the three examples of the article derivlens
# grew from (examples/article.py) to image files, and say where they are.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
OUT=${OUT:-out/demo}
mkdir -p "$OUT"
plot() { .venv/bin/derivlens plot examples/article.py "$@"; echo; }
echo
echo "== Example 1: the cubic x³ - 2x² + x - 1 and its derivative"
plot --function f --order 2 --out "$OUT/1-cubic.png"
echo "== Example 2: sin(2πx) and its exact derivative 2π·cos(2πx)"
plot --function g --out "$OUT/2-sine.png"
echo "== Example 3: x² + y² as a surface: contours, gradient field, both partials"
plot --function h --out "$OUT/3-surface.png"
echo "== Example 3 as the article plots it: y held at 1, the partial in x"
plot --function h_at_y_1 --out "$OUT/3-partial-x.png"
echo "== The same cubic in the dark theme, as SVG"
plot --function f --order 2 --theme dark --out "$OUT/1-cubic-dark.svg"
echo "Plots written to $(cd "$OUT" && pwd):"
ls -1 "$OUT"
