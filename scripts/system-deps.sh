#!/usr/bin/env bash
# Installs the system programs some tests need, from Debian's packages, when they are missing:
#   chromium    opens `loopguard report --html` pages headless (test/cli, docs/report.png)
#   prometheus  runs the Grafana dashboard's queries against real metrics (test/otel)
# Idempotent and quiet: when both are on PATH it does nothing. Run by `npm test` (pretest) and
# .ci/run. LOOPGUARD_SYSTEM_DEPS=skip skips it (the tests that need them then fail, saying why).
set -euo pipefail

if [ "${LOOPGUARD_SYSTEM_DEPS:-}" = "skip" ]; then exit 0; fi

missing=()
command -v chromium > /dev/null 2>&1 || missing+=(chromium)
# Debian's package puts the server in /usr/bin/prometheus; a prometheus elsewhere on PATH works too.
command -v prometheus > /dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if ! command -v apt-get > /dev/null 2>&1; then
  echo "scripts/system-deps.sh: ${missing[*]} not found and apt-get is unavailable (not Debian/Ubuntu)." >&2
  echo "  Install them with your system's package manager and put them on PATH, or set" >&2
  echo "  LOOPGUARD_SYSTEM_DEPS=skip to run the tests without them (those that need them fail)." >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null; then sudo=(sudo -n)
  else
    echo "scripts/system-deps.sh: ${missing[*]} not found; installing them needs root:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

echo "scripts/system-deps.sh: installing ${missing[*]} (apt-get)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The package lists of a fresh machine can be empty or old: update them once before installing.
if ! { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } > "$log" 2>&1; then
  tail -20 "$log" >&2
  echo "scripts/system-deps.sh: apt-get could not install ${missing[*]}" >&2
  exit 1
fi
for program in "${missing[@]}"; do
  command -v "$program" > /dev/null 2>&1 || { echo "scripts/system-deps.sh: $program is still not on PATH after installing it" >&2; exit 1; }
done
