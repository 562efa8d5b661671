#!/usr/bin/env bash
# Peak memory and time of `accessdrift access` and `accessdrift drift` on the account of
# every AWS managed policy (one role each; scripts/managed-policies.py). Issue 18 asks
# that drift stay within 2x of access in peak memory.
#
#   scripts/bench-managed-policies.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory managed-policies >/dev/null
dir=".cache/managed-policies-$(sed -n 's/^MOTO_VERSION := //p' Makefile)"
cargo build --release --locked -p accessdrift-cli >/dev/null 2>&1
bin="${CARGO_TARGET_DIR:-target}/release/accessdrift"
cat "$dir/source.txt"
/usr/bin/time -f "access: %e s, peak %M KB" "$bin" access --snapshot "$dir/account.json" --format jsonl >/dev/null
/usr/bin/time -f "drift:  %e s, peak %M KB" "$bin" drift --snapshot "$dir/account.json" --desired "$dir/desired.yaml" --json >/dev/null
