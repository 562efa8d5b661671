#!/usr/bin/env bash
# Cold start of the three functions' release binaries under `cargo lambda watch`
# (its Lambda runtime API; the function process is started here, so its start is
# timed), against the demo's emulator world (demo/examples/serve.rs). For each
# function: the first invoke of a fresh process (process start + init + handler) and
# the second (handler only, warm); their difference is the init time.
#
#   (the script builds the host release binaries and the serve example first)
#   scripts/cold-start.sh
#
# Needs the emulator and cargo-lambda venvs (`make emulator`, `make build` installs
# .venv-lambda). Host binaries, not arm64: the figures are for this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
LAMBDA=${CARGO_LAMBDA:-.venv-lambda/bin/cargo-lambda}
PORT=${PORT:-9010}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Closing serve's stdin lets it stop its emulator; a kill would leave moto running.
  exec 3>&- 2>/dev/null || true
  if [ -n "${serve:-}" ]; then
    for _ in $(seq 100); do kill -0 "$serve" 2>/dev/null || break; sleep 0.1; done
    kill "$serve" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --locked -q -p accessdrift-event -p accessdrift-planner -p accessdrift-worker
cargo build --locked -q -p accessdrift-demo --example serve
mkfifo "$work/stdin"
./target/debug/examples/serve "$work" < "$work/stdin" &
serve=$!
exec 3>"$work/stdin"
for _ in $(seq 120); do [ -s "$work/env" ] && break; sleep 0.5; done
[ -s "$work/env" ] || { echo "serve did not come up"; exit 1; }

"$LAMBDA" lambda watch --only-lambda-apis -P "$PORT" > "$work/watch.log" 2>&1 3>&- &
pids+=($!)
sleep 2

ms() { date +%s%3N; }
for fn in event planner worker; do
  (
    set -a; . "$work/env"; set +a
    export AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024 \
      AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$PORT/.rt" AWS_LAMBDA_FUNCTION_NAME=_
    t0=$(ms)
    ./target/release/accessdrift-$fn > "$work/$fn.log" 2>&1 3>&- &
    pid=$!
    "$LAMBDA" lambda invoke -P "$PORT" --data-file "$work/$fn.json" > "$work/$fn.out1" 2>&1
    t1=$(ms)
    "$LAMBDA" lambda invoke -P "$PORT" --data-file "$work/$fn.json" > "$work/$fn.out2" 2>&1
    t2=$(ms)
    kill $pid; wait $pid 2>/dev/null || true
    first=$((t1 - t0)); second=$((t2 - t1))
    printf '%-8s first invoke (cold) %5d ms   second (warm) %5d ms   init ~%d ms\n' \
      "$fn" "$first" "$second" $((first - second))
    head -c 300 "$work/$fn.out1"; echo
  )
done
