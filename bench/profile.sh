#!/usr/bin/env bash
# Where a saturated node's CPU goes: `perf record` (Debian linux-perf) on the
# server during a pw-loadgen saturation run (same load as the side-by-side),
# then the samples grouped by thread and by cost (RocksDB, kernel, HTTP,
# JSON, actors, stages, allocator) and turned into CPU µs per item.
#
#   bench/profile.sh            # PERF_SECS=8 seconds sampled at 999 Hz
#   CONFIG=default bench/profile.sh   # the default config (built-in AI, every stage event)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
PERF_SECS="${PERF_SECS:-8}" N="${N:-30000}" CONFIG="${CONFIG:-synthetic}"
if ! command -v perf >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq linux-perf
fi
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
out="$root/bench/results/profile-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
data="$(mktemp -d /tmp/pw-profile-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$root/build/src/pipewright" serve --config "$root/bench/config/$CONFIG.toml" --listen "127.0.0.1:$port" \
  --data-dir "$data" >"$out/server.log" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$data"' EXIT
trap 'exit 130' INT TERM HUP PIPE
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
# Sample the middle of the measured run (after the warmup and the sockets).
(sleep 4; perf record -F 999 -g -p "$spid" -o "$out/perf.data" -- sleep "$PERF_SECS" >/dev/null 2>&1) &
perfpid=$!
"$root/build/bench/loadgen/pw-loadgen" --base "http://127.0.0.1:$port" --secret pipewright-bench-secret \
  --n "$N" --warmup 2000 --c 64 --users 100 --pids "server:$spid" --out "$out/loadgen.json" 2>"$out/loadgen.log" >/dev/null || true
wait "$perfpid"
perf report -i "$out/perf.data" --no-children --sort pid,dso,sym --stdio -g none 2>/dev/null >"$out/report.txt"
python3 - "$out/report.txt" "$out/loadgen.json" <<'PY' | tee "$out/summary.md"
import json, re, sys
rows = []
for line in open(sys.argv[1]):
    m = re.match(r"\s+([\d.]+)%\s+(\d+):(\S+)\s+(\S+)\s+\[(.)\]\s+(.*)", line)
    if m:
        rows.append((float(m.group(1)), m.group(3), m.group(4), m.group(5), m.group(6).strip()))
r = json.load(open(sys.argv[2]))
cpu_us = r["cpu_s"]["server"] / r["completed"] * 1e6
rules = [  # first match wins: (category, test on (thread, dso, symbol))
    ("store writer thread, user space (RocksDB memtable inserts, WAL, batch building)",
     lambda t, d, s: t == "pw-writer" and d != "[kernel.kallsyms]"),
    ("RocksDB elsewhere (reads, flushes, compaction)", lambda t, d, s: "rocksdb" in d or "rocksdb" in s or t.startswith("rocksdb")),
    ("kernel: scheduler, futex wake-ups, sleeps", lambda t, d, s: d == "[kernel.kallsyms]" and t.startswith("caf")),
    ("kernel: writer thread (page faults, WAL write)", lambda t, d, s: d == "[kernel.kallsyms]" and t == "pw-writer"),
    ("kernel: HTTP thread (sockets, epoll)", lambda t, d, s: d == "[kernel.kallsyms]" and t == "pw-http"),
    ("kernel: other threads", lambda t, d, s: d == "[kernel.kallsyms]"),
    ("actors (CAF runtime, mailboxes, scheduling)", lambda t, d, s: "caf" in d or "caf::" in s),
    ("HTTP and WebSocket (Beast, Asio)", lambda t, d, s: "beast" in s or "asio" in s or "pw::net" in s),
    ("JSON (Boost.JSON, simdjson)", lambda t, d, s: "json" in d or "json" in s),
    ("stages (synthetic work)", lambda t, d, s: "pw::stages" in s),
    ("supervisor, store codecs, write sets", lambda t, d, s: "pw::" in s),
    ("allocator (jemalloc)", lambda t, d, s: "jemalloc" in d or s in ("operator new", "operator delete")),
    ("libc (memcpy, memcmp, locks, TLS)", lambda t, d, s: "libc" in d or "ld-linux" in d or "libstdc++" in d),
]
cats, threads = {}, {}
total = sum(p for p, *_ in rows) or 1
for p, thread, dso, kind, sym in rows:
    threads[thread] = threads.get(thread, 0) + p
    for name, test in rules:
        if test(thread, dso, sym):
            cats[name] = cats.get(name, 0) + p
            break
    else:
        cats["other"] = cats.get("other", 0) + p
print(f"Server CPU per completed item over the run: {cpu_us:.0f} µs ({r['completed_per_s_steady_p10_p90']} items/s steady)\n")
print("| cost | share of samples | µs per item |\n|---|---|---|")
for name, p in sorted(cats.items(), key=lambda kv: -kv[1]):
    print(f"| {name} | {p / total * 100:.1f} % | {p / total * cpu_us:.0f} |")
print("\n| thread | share of samples |\n|---|---|")
for name, p in sorted(threads.items(), key=lambda kv: -kv[1]):
    print(f"| {name} | {p / total * 100:.1f} % |")
print("\nTop symbols:\n")
for p, thread, dso, kind, sym in sorted(rows, key=lambda x: -x[0])[:15]:
    print(f"- {p:.2f} % {thread} {dso} {sym[:110]}")
PY
