#!/usr/bin/env bash
# Installs, from the npm registry into .tmp/tools, what some tests run bots with but the project
# cannot depend on:
#   @swc-node/register (with @swc/core and TypeScript 5): it loads TypeScript's JavaScript API,
#     which the repo's TypeScript 7 no longer has, and its peer range (< 7) rules out a devDependency;
#   Bun (@oven/bun-<os>-<arch>, a binary in a platform package), for test/e2e/bun.test.ts.
# Pinned versions; does nothing when they are installed already. Run by `npm test` (pretest) and so
# by .ci/run. LOOPGUARD_TEST_TOOLS=skip skips it (the tests that need them then fail, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LOOPGUARD_TEST_TOOLS:-}" = "skip" ]; then exit 0; fi

dir=.tmp/tools
packages=("@swc-node/register@1.12.1" "@swc/core@1.16.22" "typescript@5.9.3")
os="$(node -p process.platform)"
arch="$(node -p process.arch)"
case "$arch" in x64) ;; arm64) arch=aarch64 ;; *) arch="" ;; esac
if [ -n "$arch" ] && { [ "$os" = linux ] || [ "$os" = darwin ]; }; then
  bun="@oven/bun-$os-$arch"
  # Bun's Linux builds for musl (Alpine) are separate packages. Node's report names the glibc it
  # runs on (not `ldd --version | grep -q`: under pipefail, grep's early exit can fail ldd with SIGPIPE).
  if [ "$os" = linux ] && [ "$(node -p 'Boolean(process.report.getReport().header.glibcVersionRuntime)')" != true ]; then bun="$bun-musl"; fi
  packages+=("$bun@1.4.5")
fi

stamp="$dir/installed.txt"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then exit 0; fi
echo "scripts/test-tools.sh: installing ${packages[*]} into $dir"
rm -rf "$dir" && mkdir -p "$dir"
npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "${packages[@]}" > "$dir/install.log" 2>&1 || { tail -20 "$dir/install.log" >&2; exit 1; }
echo "${packages[*]}" > "$stamp"
