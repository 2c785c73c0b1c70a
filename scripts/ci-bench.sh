#!/usr/bin/env bash
# CI: every benchmark in bench/ at its reduced size, after the suite, so each CI log holds the figures
# beside the issues' targets (the full sizes run by hand; the README's performance section has them).
# A benchmark prints a target it misses rather than failing; one that cannot run at all (a crash, a
# look-alike not found) is listed at the end and fails this script, as a broken benchmark is a bug.
# Expects `npm run build` to have run (npm test builds); CI is set, so sizes default to the CI ones.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"

failed=()
bench() {
  local name="$1"
  shift
  echo
  echo "===== bench: $name ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)) ====="
  local start=$SECONDS
  if ! timeout 900 "$@"; then failed+=("$name"); fi
  echo "===== bench: $name took $((SECONDS - start)) s ====="
}

bench scan node bench/scan.mjs
bench content-scan node bench/content-scan.mjs --mib 128 --files 5000
bench scale npx tsx bench/scale.ts
bench watch npx tsx bench/watch.ts --seconds 60
bench summarize node bench/summarize.mjs --reports 1000 --runs 3
bench image node bench/image.mjs
bench web node bench/web.mjs --runs 2
bench web-live node bench/web-live.mjs --runs 1
bench registry node bench/registry.mjs --keys 20000 --runs 3
bench rpmdb node bench/rpmdb.mjs --packages 1000 --runs 3

echo
if ((${#failed[@]})); then
  echo "benchmarks that did not complete: ${failed[*]}"
  exit 1
fi
echo "every benchmark completed"
