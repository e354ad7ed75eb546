#!/usr/bin/env bash
# The cluster on this machine (docs/cluster.md): 1, 2 and 3 nodes on one etcd,
# all on 127.0.0.1, each run driven by pw-loadgen against node n1 with the
# synthetic pipeline (bench/config/synthetic.toml). Prints, per run, items/s,
# CPU seconds per 1,000 items of each node and of the whole cluster, and the
# forwarding overhead of one hop: the median of GET /api/v1/items/{id} sent
# to n1 for items n1 serves vs items another node serves (sequential, keep-alive).
#
#   bench/cluster.sh                  # N=6000 items per run
#   N=20000 NODES="1 2 3" bench/cluster.sh
#
# Everything listens on 127.0.0.1 and stops at the end (also on Ctrl-C).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
N="${N:-6000}" C="${C:-32}" NODES="${NODES:-1 2 3}" HOPS="${HOPS:-1000}"
SECRET="pipewright-bench-secret"
server_bin="$root/build/src/pipewright"
loadgen="$root/build/bench/loadgen/pw-loadgen"
[ -x "$loadgen" ] || { echo "missing $loadgen (build with PIPEWRIGHT_BUILD_BENCH=ON)" >&2; exit 1; }
command -v etcd >/dev/null || { echo "missing etcd (scripts/install-deps.sh)" >&2; exit 1; }
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/cluster-$stamp"
mkdir -p "$out"
work="$(mktemp -d /tmp/pw-cluster-bench-XXXXXX)"
log() { printf '[cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

run() {  # nodes
  local n="$1" cport pport
  cport="$(free_port)"; pport="$(free_port)"
  etcd --name bench --data-dir "$work/etcd-$n" --listen-client-urls "http://127.0.0.1:$cport" \
    --advertise-client-urls "http://127.0.0.1:$cport" --listen-peer-urls "http://127.0.0.1:$pport" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pport" --initial-cluster "bench=http://127.0.0.1:$pport" \
    --log-level warn >"$out/etcd-$n.log" 2>&1 &
  local epid=$!; pids+=("$epid")
  until curl -sf "http://127.0.0.1:$cport/health" >/dev/null; do sleep 0.1; done
  local ports=() spids=() names=()
  for i in $(seq 1 "$n"); do
    local port; port="$(free_port)"
    cat "$root/bench/config/synthetic.toml" >"$work/n$i-$n.toml"
    cat >>"$work/n$i-$n.toml" <<TOML

[cluster]
enabled = true
name = "bench$n"
node = "n$i"
etcd = ["http://127.0.0.1:$cport"]
secret = "cluster-bench-secret-0123456789"
slots = 128
TOML
    "$server_bin" serve --config "$work/n$i-$n.toml" --listen "127.0.0.1:$port" --data-dir "$work/data-n$i-$n" \
      >"$out/n$i-$n.log" 2>&1 &
    spids+=("$!"); pids+=("$!"); ports+=("$port"); names+=("n$i")
  done
  local token; token="$(PIPEWRIGHT_JWT_SECRET="$SECRET" "$server_bin" token --sub bench --role admin --workspaces '*')"
  # Ready, and every slot served, with no handoff under way.
  for p in "${ports[@]}"; do until curl -sf "http://127.0.0.1:$p/readyz" >/dev/null; do sleep 0.2; done; done
  until curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:${ports[0]}/api/v1/admin/cluster" |
    python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if not s["handoffs"] and all(s["lease"]) and sum(m["alive"] for m in s["members"])=='"$n"' else 1)'; do
    sleep 0.5
  done
  local pidlist=""
  for i in "${!spids[@]}"; do pidlist+="${names[$i]}:${spids[$i]},"; done
  log "$n node(s): loadgen N=$N C=$C against n1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$loadgen" --api pipewright --base "http://127.0.0.1:${ports[0]}" --secret "$SECRET" --label "nodes-$n" \
    --n "$N" --warmup 500 --c "$C" --workspaces 64 --pids "${pidlist%,}" --out "$out/nodes-$n.json" \
    >/dev/null 2>"$out/nodes-$n.loadgen.log" || log "loadgen exit $?"
  python3 - "$out/nodes-$n.json" "$n" <<'PY' | tee -a "$out/summary.txt"
import json, sys
r = json.load(open(sys.argv[1]))
items = r["posted_ok"] + r["params"]["warmup"]
cpu = r.get("cpu_s", {})
nodes = {k: v for k, v in cpu.items() if k.startswith("n")}
line = f"nodes={sys.argv[2]} completed/s={r['completed_per_s']} ok={r['ok']} lost={r['lost']} post_p50_ms={r['post_ms']['p50']}"
for name, s in sorted(nodes.items()):
    line += f" {name}_cpu_us_per_item={1e6 * s / items:.0f}"
line += f" cluster_cpu_us_per_item={1e6 * sum(nodes.values()) / items:.0f} machine_busy={cpu.get('system_busy')}/{cpu.get('system_capacity')}s"
print(line)
PY
  if [ "$n" -gt 1 ]; then
    python3 - "${ports[0]}" "$token" "$HOPS" <<'PY' | tee -a "$out/summary.txt"
import http.client, json, statistics, sys, time
port, token, hops = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port)
by_node = {}
for i in range(64):
    c.request("POST", "/api/v1/items", json.dumps({"workspace": f"hop-{i}", "text": "hop"}), h)
    r = c.getresponse(); body = json.loads(r.read())
    by_node.setdefault(r.getheader("X-Pipewright-Node"), []).append(body["id"])
def median_us(ids):
    t = []
    for k in range(hops):
        s = time.perf_counter(); c.request("GET", "/api/v1/items/" + ids[k % len(ids)], headers=h); c.getresponse().read()
        t.append((time.perf_counter() - s) * 1e6)
    return statistics.median(t)
local = median_us(by_node["n1"])
for node, ids in sorted(by_node.items()):
    if node != "n1":
        far = median_us(ids)
        print(f"GET item: local (n1) p50 {local:.0f} us, forwarded to {node} p50 {far:.0f} us, one hop = +{far - local:.0f} us")
PY
  fi
  for p in "${spids[@]}" "$epid"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

for n in $NODES; do run "$n"; done
log "raw reports in $out"
