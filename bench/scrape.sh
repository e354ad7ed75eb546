#!/usr/bin/env bash
# Does watching a node slow it down? The same load twice, side by side in one
# run, rounds alternating: "quiet" (nobody watches) and "watched" (an
# operator scrapes GET /metrics and GET /api/v1/admin/actors once a second
# and keeps the dashboard's admin socket open with ?stats=1, bench/scraper.py).
# Saturation (pw-loadgen as fast as answered) then paced at 1,000 items/s;
# medians of the rounds, the watched/quiet ratio, and, apart from the
# noise, the server CPU one scrape costs (500 back to back, from /proc).
#
#   bench/scrape.sh                 # ROUNDS=3, N=30000 at saturation, PACED_N=15000 at RATE=1000
#   MODES=paced ROUNDS=5 bench/scrape.sh
#
# Everything listens on 127.0.0.1 and stops at the end (also on Ctrl-C).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ROUNDS="${ROUNDS:-3}" N="${N:-30000}" WARMUP="${WARMUP:-2000}" C="${C:-64}" USERS="${USERS:-100}"
RATE="${RATE:-1000}" PACED_N="${PACED_N:-15000}" MODES="${MODES:-sat paced}"
SECRET="pipewright-bench-secret"   # = bench/config/synthetic.toml
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/scrape-$stamp"
mkdir -p "$out"
log() { printf '[scrape %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
server_bin="$root/build/src/pipewright"
loadgen="$root/build/bench/loadgen/pw-loadgen"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_pid() {
  local p="$1"; kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}
pids_to_stop=()
cleanup() { for p in "${pids_to_stop[@]}"; do stop_pid "$p"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

run() {  # label watched(0|1) loadgen-args...
  local label="$1" watched="$2"; shift 2
  local port; port="$(free_port)"
  local data; data="$(mktemp -d /tmp/pw-scrape-XXXXXX)"
  "$server_bin" serve --config "$root/bench/config/synthetic.toml" --listen "127.0.0.1:$port" --data-dir "$data" \
    >"$out/$label.server.log" 2>&1 &
  local spid=$!; pids_to_stop+=("$spid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local wpid=""
  if [ "$watched" = 1 ]; then
    python3 "$root/bench/scraper.py" --port "$port" --secret "$SECRET" --seconds 600 --out "$out/$label.scraper.json" \
      >/dev/null 2>"$out/$label.scraper.log" &
    wpid=$!; pids_to_stop+=("$wpid")
  fi
  set +e
  "$loadgen" --api pipewright --base "http://127.0.0.1:$port" --secret "$SECRET" --label "$label" \
    --pids "server:$spid" --out "$out/$label.json" "$@" >/dev/null 2>"$out/$label.loadgen.log"
  local rc=$?
  set -e
  [ -n "$wpid" ] && stop_pid "$wpid"
  stop_pid "$spid"; rm -rf "$data"
  log "$label: loadgen exit $rc"
}

sat=(--n "$N" --warmup "$WARMUP" --c "$C" --users "$USERS" --timeout 600)
paced=(--n "$PACED_N" --warmup "$WARMUP" --c "$C" --users "$USERS" --rate "$RATE" --timeout 600)
log "results in $out; $ROUNDS rounds of each; saturation: ${sat[*]}; paced: ${paced[*]}"
for mode in $MODES; do
  if [ "$mode" = sat ]; then args=("${sat[@]}"); else args=("${paced[@]}"); fi
  for r in $(seq 1 "$ROUNDS"); do
    # Alternate which goes first, so a drift of the host's speed hits both.
    if [ $((r % 2)) = 1 ]; then run "quiet-$mode-r$r" 0 "${args[@]}"; run "watched-$mode-r$r" 1 "${args[@]}"
    else run "watched-$mode-r$r" 1 "${args[@]}"; run "quiet-$mode-r$r" 0 "${args[@]}"; fi
  done
done
# What one scrape costs the server, measured apart from the noise: a node
# that ran 5,000 items, then 500 scrapes of each route back to back.
port="$(free_port)"; data="$(mktemp -d /tmp/pw-scrape-XXXXXX)"
"$server_bin" serve --config "$root/bench/config/synthetic.toml" --listen "127.0.0.1:$port" --data-dir "$data" \
  >"$out/cost.server.log" 2>&1 &
spid=$!; pids_to_stop+=("$spid")
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
"$loadgen" --api pipewright --base "http://127.0.0.1:$port" --secret "$SECRET" --n 5000 --c 64 --users 100 \
  --out "$out/cost.loadgen.json" >/dev/null 2>&1 || true
python3 "$root/bench/scraper.py" --port "$port" --secret "$SECRET" --cost 500 --pid "$spid" --out "$out/cost.json" >/dev/null
stop_pid "$spid"; rm -rf "$data"
python3 "$root/bench/summarize_scrape.py" "$out" | tee "$out/summary.md"
