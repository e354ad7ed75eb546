#!/usr/bin/env bash
# Pipewright against the BullMQ anchor, side by side, on this machine, in one
# run: rounds alternate (anchor, pipewright, anchor, pipewright, ...), both
# driven by the same load generator (build/bench/loadgen/pw-loadgen) with the
# same load. Installs what the anchor needs (Debian redis-server, nodejs, npm;
# `npm install` in a copy of the anchor folder), builds Pipewright, prints the
# table with ratios, and keeps every raw JSON report under bench/results/.
#
#   bench/side-by-side.sh                 # 2 rounds each, saturation then paced
#   ROUNDS=3 N=50000 bench/side-by-side.sh
#
# Load (defaults = the issue's): USERS=100 C=64 WARMUP=2000 N=20000 at
# saturation; then RATE=1000 items/s paced for PACED_N=20000 items. Each
# saturation round also runs Pipewright on its default configuration
# (built-in AI stages, every stage event: bench/config/default.toml; DEFAULT=0
# skips it). After each Pipewright run the node's commit -> socket lag (its
# own histogram, GET /api/v1/admin/actors) is added to the report.
# ANCHOR_SRC: the anchor folder (default ../shared/anchors/bullmq).
# Everything listens on 127.0.0.1 and stops at the end (also on Ctrl-C).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

ROUNDS="${ROUNDS:-2}" N="${N:-20000}" WARMUP="${WARMUP:-2000}" C="${C:-64}" USERS="${USERS:-100}"
RATE="${RATE:-1000}" PACED_N="${PACED_N:-20000}" PACED="${PACED:-1}" DEFAULT="${DEFAULT:-1}"
ANCHOR_SRC="${ANCHOR_SRC:-$root/../shared/anchors/bullmq}"
ANCHOR_CONCURRENCY="${ANCHOR_CONCURRENCY:-16}"   # the anchor's best configuration (its README)
SECRET="pipewright-bench-secret"                  # = bench/config/synthetic.toml and default.toml
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/side-by-side-$stamp"
mkdir -p "$out"
log() { printf '[side-by-side %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# --- what the anchor needs, and our build ---------------------------------
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v python3 >/dev/null || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
server_bin="$root/build/src/pipewright"
loadgen="$root/build/bench/loadgen/pw-loadgen"
[ -x "$loadgen" ] || { echo "missing $loadgen (build with PIPEWRIGHT_BUILD_BENCH=ON)" >&2; exit 1; }

anchor="$root/bench/.anchor"   # a private, writable copy (the shared folder may be read-only)
mkdir -p "$anchor"
for f in "$ANCHOR_SRC"/*; do
  case "$(basename "$f")" in node_modules|results|redis-data|run) ;; *) cp -r "$f" "$anchor/" ;; esac
done
if [ ! -d "$anchor/node_modules/bullmq" ]; then
  log "npm install in $anchor"
  (cd "$anchor" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
peak_rss_kb() { awk '$1=="VmHWM:" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
stop_pid() {
  local p="$1"; kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}
pids_to_stop=()
cleanup() { for p in "${pids_to_stop[@]}"; do stop_pid "$p"; done; (cd "$anchor" && ./stop-redis.sh >/dev/null 2>&1) || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE  # run cleanup once, then stop: never go on to start more servers

# Adds the processes' peak RSS to a loadgen report.
annotate() {  # file name=kb ...
  local file="$1"; shift
  python3 - "$file" "$@" <<'PY'
import json, sys
path, pairs = sys.argv[1], sys.argv[2:]
try:
    r = json.load(open(path))
except Exception:
    r = {"ok": False, "error": "no loadgen report"}
r["peak_rss_mb"] = {k: round(int(v) / 1024, 1) for k, v in (p.split("=") for p in pairs)}
json.dump(r, open(path, "w"), indent=2)
PY
}

run_anchor() {  # label loadgen-args...
  local label="$1"; shift
  local port; port="$(free_port)"
  export REDIS_PORT; REDIS_PORT="$(free_port)"
  (cd "$anchor" && ./stop-redis.sh >/dev/null 2>&1 || true; FRESH=1 ./start-redis.sh >/dev/null)
  local rpid; rpid="$(cat "$anchor/run/redis.pid")"
  (cd "$anchor" && PORT="$port" MODE=single WORKER=inproc NOTIFY=local CONCURRENCY="$ANCHOR_CONCURRENCY" \
     exec node server.js >"$out/$label.server.log" 2>&1) &
  local spid=$!; pids_to_stop+=("$spid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  log "$label: anchor on :$port (node $spid, redis $rpid)"
  set +e
  "$loadgen" --api anchor --base "http://127.0.0.1:$port" --ws "ws://127.0.0.1:$port/ws" --label "$label" \
    --pids "server:$spid,redis:$rpid" --out "$out/$label.json" "$@" >/dev/null 2>"$out/$label.loadgen.log"
  local rc=$?
  set -e
  annotate "$out/$label.json" "server=$(peak_rss_kb "$spid")" "redis=$(peak_rss_kb "$rpid")"
  stop_pid "$spid"; (cd "$anchor" && ./stop-redis.sh >/dev/null)
  log "$label: loadgen exit $rc"
}

# The node's own commit -> socket lag over the run (last minute), into the report.
add_lag() {  # file port
  local token; token="$(PIPEWRIGHT_JWT_SECRET="$SECRET" "$server_bin" token --sub bench --role admin --workspaces '*')"
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$2/api/v1/admin/actors" >"$1.actors" || true
  python3 - "$1" <<'PY'
import json, sys
path = sys.argv[1]
try:
    r = json.load(open(path))
    a = json.load(open(path + ".actors"))
    r["commit_to_socket_ms"] = a["commit_to_socket"]["last_minute"]
    json.dump(r, open(path, "w"), indent=2)
except Exception as e:
    print(f"no commit-to-socket figures for {path}: {e}", file=sys.stderr)
PY
  rm -f "$1.actors"
}

run_pipewright() {  # label config loadgen-args...
  local label="$1" config="$2"; shift 2
  local port; port="$(free_port)"
  local data; data="$(mktemp -d /tmp/pw-bench-XXXXXX)"
  "$server_bin" serve --config "$root/bench/config/$config.toml" --listen "127.0.0.1:$port" --data-dir "$data" \
    >"$out/$label.server.log" 2>&1 &
  local spid=$!; pids_to_stop+=("$spid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  log "$label: pipewright on :$port (pid $spid, data $data)"
  set +e
  "$loadgen" --api pipewright --base "http://127.0.0.1:$port" --secret "$SECRET" --label "$label" \
    --pids "server:$spid" --out "$out/$label.json" "$@" >/dev/null 2>"$out/$label.loadgen.log"
  local rc=$?
  set -e
  annotate "$out/$label.json" "server=$(peak_rss_kb "$spid")"
  add_lag "$out/$label.json" "$port"
  stop_pid "$spid"; rm -rf "$data"
  log "$label: loadgen exit $rc"
}

sat=(--n "$N" --warmup "$WARMUP" --c "$C" --users "$USERS" --timeout 600)
paced=(--n "$PACED_N" --warmup "$WARMUP" --c "$C" --users "$USERS" --rate "$RATE" --timeout 600)
log "results in $out; $ROUNDS rounds; saturation: ${sat[*]}"
# The host's speed drifts (a shared VM): the anchor's calib.js (fixed
# single-thread work, 150-320 ms on an idle machine) before each round says
# how fast it was; summarize.py prints the range.
calib() { (cd "$anchor" && node calib.js 2>/dev/null | tail -1) >"$out/calib-$1.json" || true; }
for r in $(seq 1 "$ROUNDS"); do
  calib "sat-r$r"
  run_anchor "anchor-sat-r$r" "${sat[@]}"
  run_pipewright "pipewright-sat-r$r" synthetic "${sat[@]}"
  [ "$DEFAULT" = 1 ] && run_pipewright "default-sat-r$r" default "${sat[@]}"
done
if [ "$PACED" = 1 ]; then
  log "paced: ${paced[*]}"
  for r in $(seq 1 "$ROUNDS"); do
    calib "paced-r$r"
    run_anchor "anchor-paced-r$r" "${paced[@]}"
    run_pipewright "pipewright-paced-r$r" synthetic "${paced[@]}"
  done
fi
python3 "$root/bench/summarize.py" "$out" | tee "$out/summary.md"
