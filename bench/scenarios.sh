#!/usr/bin/env bash
# Pipewright alone, under the scenarios of docs/benchmarks.md, on the
# synthetic 7-stage pipeline (bench/config/synthetic.toml), driven by
# pw-loadgen. Everything on 127.0.0.1, fresh data dirs under /tmp, stops by
# itself. Prints a table and keeps every raw JSON under bench/results/.
#
#   bench/scenarios.sh                       # all of them (~15 min here)
#   ONLY="sync scaling" bench/scenarios.sh   # some: base sync default prestored recovery fairness scaling
# (default: the default configuration, built-in AI stages and every stage event)
#   PRESTORE=1000000 UNFINISHED=100000 N=20000 bench/scenarios.sh
#
#   base       saturation on an empty store (the reference for sync and prestored)
#   sync       store.sync = true: every commit fsynced (group commit)
#   prestored  PRESTORE items already stored (and finished), node restarted, then saturation
#   recovery   UNFINISHED items accepted but not finished, kill -9, restart: time to
#              ready and until every one of them has finished
#   fairness   one noisy workspace at saturation beside 19 quiet ones paced at
#              QUIET_RATE items/s in all: the quiet ones' E2E, alone and beside it
#   scaling    POSTs in flight (c) and actors.max_active
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

N="${N:-20000}" WARMUP="${WARMUP:-2000}" USERS="${USERS:-100}" C="${C:-64}"
PRESTORE="${PRESTORE:-1000000}" UNFINISHED="${UNFINISHED:-100000}" QUIET_RATE="${QUIET_RATE:-200}"
ONLY="${ONLY:-base sync default prestored recovery fairness scaling}"
SECRET="pipewright-bench-secret"  # = bench/config/synthetic.toml
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/scenarios-$stamp"
mkdir -p "$out"
log() { printf '[scenarios %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
command -v python3 >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get install -y -qq python3; }
server_bin="$root/build/src/pipewright"
loadgen="$root/build/bench/loadgen/pw-loadgen"
[ -x "$loadgen" ] || { echo "missing $loadgen (build with PIPEWRIGHT_BUILD_BENCH=ON)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
server_pid="" port="" data=""
dirs_to_remove=()
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() { stop_server; for d in "${dirs_to_remove[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE  # run cleanup once, then stop: never go on to start more servers

# config: bench/config/synthetic.toml plus extra TOML lines ($1), in $out.
make_config() {  # name extra-toml
  local f="$out/$1.toml"
  { cat "$root/bench/config/synthetic.toml"; printf '\n%b\n' "$2"; } >"$f"
  echo "$f"
}
new_data() { data="$(mktemp -d /tmp/pw-scenario-XXXXXX)"; dirs_to_remove+=("$data"); }
# Starts the node on $data; sets server_pid, port; returns once ready (or fails).
start_server() {  # config label
  port="$(free_port)"
  started_ms="$(now_ms)"  # after free_port: its python start (~0.3 s under pyenv) is not the node's
  "$server_bin" serve --config "$1" --listen "127.0.0.1:$port" --data-dir "$data" >>"$out/$2.server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 3000); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "server died: see $out/$2.server.log" >&2; exit 1; }
    sleep 0.01
  done
  echo "server not ready after 30 s" >&2; exit 1
}
peak_rss_mb() { awk '$1=="VmHWM:" {printf "%.1f", $2/1024}' "/proc/$server_pid/status" 2>/dev/null || echo 0; }
loadgen_run() {  # label args...
  local label="$1"; shift
  set +e
  "$loadgen" --api pipewright --base "http://127.0.0.1:$port" --secret "$SECRET" --label "$label" \
    --pids "server:$server_pid" --out "$out/$label.json" "$@" >/dev/null 2>>"$out/$label.loadgen.log"
  local rc=$?
  set -e
  log "$label: loadgen exit $rc"
}
admin_token() { "$server_bin" token --config "$1" --sub bench-admin --role admin --workspaces '*' --ttl 86400; }
# The node's own commit -> socket lag over the last minute, into a report.
add_lag() {  # label config
  local tok; tok="$(admin_token "$2")"
  curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/admin/actors" >"$out/$1.actors" || true
  python3 - "$out/$1.json" <<'PY'
import json, sys
path = sys.argv[1]
try:
    r = json.load(open(path))
    r["commit_to_socket_ms"] = json.load(open(path[:-5] + ".actors"))["commit_to_socket"]["last_minute"]
    json.dump(r, open(path, "w"), indent=2)
except Exception as e:
    print(f"no commit-to-socket figures for {path}: {e}", file=sys.stderr)
PY
  rm -f "$out/$1.actors"
}
# Waits until no item is queued or processing; prints the ms it took.
wait_drained() {  # config
  local tok t0; tok="$(admin_token "$1")"; t0="$(now_ms)"
  for _ in $(seq 1 36000); do
    local q; q="$(curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/admin/queue" || true)"
    if [ -n "$q" ] && python3 -c 'import json,sys; q=json.loads(sys.argv[1]); sys.exit(0 if q["queued"]+q["processing"]==0 else 1)' "$q"; then
      echo $(( $(now_ms) - t0 )); return 0
    fi
    sleep 0.1
  done
  echo -1
}
note() { python3 - "$out/notes.json" "$@" <<'PY'
import json, os, sys
path, pairs = sys.argv[1], sys.argv[2:]
notes = json.load(open(path)) if os.path.exists(path) else {}
for p in pairs:
    k, v = p.split("=", 1)
    try: v = json.loads(v)
    except ValueError: pass
    notes[k] = v
json.dump(notes, open(path, "w"), indent=2)
PY
}

sat=(--n "$N" --warmup "$WARMUP" --c "$C" --users "$USERS" --timeout 900)
base_cfg="$root/bench/config/synthetic.toml"
wants() { [[ " $ONLY " == *" $1 "* ]]; }
log "results in $out; scenarios: $ONLY"

if wants base || wants sync || wants default; then
  for cfg in base sync default; do
    wants "$cfg" || continue
    c="$base_cfg"
    [ "$cfg" = sync ] && c="$(make_config sync '[store]\nsync = true')"
    [ "$cfg" = default ] && c="$root/bench/config/default.toml"
    new_data; start_server "$c" "$cfg"; log "$cfg: node on :$port"
    loadgen_run "$cfg" "${sat[@]}"; add_lag "$cfg" "$c"; stop_server
  done
fi

if wants prestored; then
  new_data; start_server "$base_cfg" prestored-fill
  log "prestored: storing $PRESTORE items (post-only, progress in prestored-fill.loadgen.log)"
  loadgen_run prestored-fill --post-only --n "$PRESTORE" --c "$C" --users "$USERS" --timeout 7200
  log "prestored: waiting until all $PRESTORE are finished"
  note "prestored_drain_ms=$(wait_drained "$base_cfg")"
  stop_server
  start_server "$base_cfg" prestored; note "prestored_restart_ready_ms=$(( $(now_ms) - started_ms ))"
  note "prestored_data_mb=$(du -sm "$data" | cut -f1)"
  loadgen_run prestored "${sat[@]}"; stop_server
fi

if wants recovery; then
  # Stages that take a minute and one active item: what is posted stays unfinished.
  slow="$(make_config recovery-slow '[actors]\nmax_active = 1\n[pipelines.feedback.stages.embed.chaos]\nlatency = "fixed"\nlatency_min_ms = 60000\n[supervision]\ntimeout_ms = 120000')"
  new_data; start_server "$slow" recovery-fill
  log "recovery: posting $UNFINISHED items that stay unfinished"
  loadgen_run recovery-fill --post-only --n "$UNFINISHED" --c "$C" --users "$USERS" --timeout 3600
  log "recovery: kill -9"
  kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  start_server "$base_cfg" recovery
  ready_ms=$(( $(now_ms) - started_ms ))
  note "recovery_ready_ms=$ready_ms" "recovery_all_finished_ms=$(( $(wait_drained "$base_cfg") + ready_ms ))"
  note "recovery_log=\"$(grep -o 'event=recovery.done.*' "$out/recovery.server.log" | tail -1)\""
  tok="$(admin_token "$base_cfg")"
  note "recovery_queue_after=$(curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/admin/queue")"
  note "recovery_peak_rss_mb=$(peak_rss_mb)"
  stop_server
fi

if wants fairness; then
  quiet=(--prefix quiet- --workspaces 19 --users 19 --rate "$QUIET_RATE" --c 16 --n $((QUIET_RATE * 20)) --warmup 200 --timeout 600)
  fair_cfg="$(make_config fairness "${FAIR_TOML:-}")"  # FAIR_TOML: extra config lines to compare
  new_data; start_server "$fair_cfg" fairness-alone
  loadgen_run fairness-quiet-alone "${quiet[@]}"; stop_server
  new_data; start_server "$fair_cfg" fairness-noisy
  "$loadgen" --api pipewright --base "http://127.0.0.1:$port" --secret "$SECRET" --label fairness-noisy \
    --prefix noisy- --workspaces 1 --users 20 --c "$C" --n $((N * 2)) --timeout 900 \
    --out "$out/fairness-noisy.json" >/dev/null 2>"$out/fairness-noisy.loadgen.log" &
  noisy=$!
  sleep 2
  loadgen_run fairness-quiet-beside-noisy "${quiet[@]}"
  wait "$noisy" || true
  stop_server
fi

if wants scaling; then
  for c in 16 64 256; do
    new_data; start_server "$base_cfg" "scaling-c$c"; loadgen_run "scaling-c$c" "${sat[@]}" --c "$c"; stop_server
  done
  for a in 64 256 4096; do
    cfg="$(make_config "max_active-$a" "[actors]\nmax_active = $a")"
    new_data; start_server "$cfg" "scaling-max_active-$a"; loadgen_run "scaling-max_active-$a" "${sat[@]}"; stop_server
  done
fi

python3 "$root/bench/summarize_scenarios.py" "$out" | tee "$out/summary.md"
