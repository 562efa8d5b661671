#!/usr/bin/env python3
"""End-to-end `accessdrift simulate` throughput: process start, reading, evaluating and
writing every result (to /dev/null), as a caller sees it.

Usage: bench-simulate.py [BINARY] [CASES]   (defaults: target/release/accessdrift, 10000)
Generates the batch with gen-simulate-batch.py (deterministic) if it is missing, runs
the binary 15 times and prints min/median wall time and cases per second.
"""
import os
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "target", "release", "accessdrift")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
batch = f"/tmp/accessdrift-bench-{n}.json"
if not os.path.exists(batch):
    subprocess.run([sys.executable, os.path.join(here, "gen-simulate-batch.py"), str(n), batch], check=True)
size = os.path.getsize(batch)
times = []
for _ in range(15):
    with open(batch, "rb") as f, open(os.devnull, "wb") as out:
        t = time.perf_counter()
        subprocess.run([binary, "simulate"], stdin=f, stdout=out, check=True)
        times.append(time.perf_counter() - t)
med = statistics.median(times)
print(f"batch: {n} cases, {size / 1e6:.1f} MB")
print(f"wall time: min {min(times) * 1000:.0f} ms, median {med * 1000:.0f} ms")
print(f"throughput: {n / med:,.0f} cases/s (median)")
