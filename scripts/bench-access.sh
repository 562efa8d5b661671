#!/usr/bin/env bash
# Effective-access benchmark on synthetic accounts (issue 3): reading the snapshot,
# computing every row and writing it (to /dev/null), as `accessdrift access` does.
# Usage: scripts/bench-access.sh [ROLES RESOURCES]...   (default: 1000 2000 and 5000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/release/accessdrift"
[ -x "$bin" ] || cargo build --release --locked -p accessdrift-cli
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 2000 5000 10000)
while [ ${#sizes[@]} -ge 2 ]; do
  roles=${sizes[0]}; resources=${sizes[1]}; sizes=("${sizes[@]:2}")
  snap="/tmp/accessdrift-synthetic-${roles}x${resources}.json"
  [ -f "$snap" ] || "$bin" generate-snapshot --roles "$roles" --resources "$resources" > "$snap"
  size=$(du -h "$snap" | cut -f1)
  rows=$("$bin" access --snapshot "$snap" | wc -l)
  echo "== ${roles} roles x ${resources} resources (snapshot ${size}, ${rows} rows)"
  for core in 1 2; do
    /usr/bin/time -f "   ${core} core(s): %e s wall, %U s user, max RSS %M KB" \
      env RAYON_NUM_THREADS=$core "$bin" access --snapshot "$snap" > /dev/null
  done
done
