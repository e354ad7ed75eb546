#!/usr/bin/env python3
"""Writes tests/data/store-v2/data: a store in the layout of format 2 (one key per
state, result, history chunk, index entry and event), made by the server of
commit 217b990, the last one that wrote that layout. it_migration opens it with
today's server. Kept to show how the fixture was made; it needs that binary:
  git worktree add /tmp/v2 217b990 && (cd /tmp/v2 && ./scripts/build.sh)
  python3 tests/data/store-v2/make.py /tmp/v2/build/src/pipewright
"""
import json, os, shutil, subprocess, sys, time, urllib.request, urllib.error

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SECRET = "pipewright-test-secret-0123456789abcdef"
STAGES = [("embed", []), ("classify", ["embed"]), ("sentiment", ["embed"]), ("urgency", ["embed"]),
          ("duplicate", ["embed"]), ("theme", ["embed"]), ("priority", ["sentiment", "urgency", "classify", "duplicate"])]

def config(chaos=None, extra=""):
    out = f'[auth]\njwt_secret = "{SECRET}"\n[limits]\nsubmit_rate_per_user = 0\n{extra}\n'
    out += "[supervision]\nmax_attempts = 3\ninitial_backoff_ms = 20\nmultiplier = 2.0\nmax_backoff_ms = 200\njitter = 0.2\ntimeout_ms = 5000\n"
    for name, after in STAGES:
        c = (chaos or {}).get(name)
        out += f'[pipelines.feedback.stages.{name}]\nbackend = "{"chaos" if c else "synthetic"}"\nafter = {json.dumps(after)}\n'
        if c:
            out += c.get("stage", "") + f"[pipelines.feedback.stages.{name}.chaos]\n" + c["chaos"] + "\n"
    return out

class Server:
    def __init__(self, cfg):
        path = os.path.join(HERE, "fixture.toml")
        open(path, "w").write(cfg)
        self.log = open(os.path.join(HERE, "fixture.log"), "a")
        self.p = subprocess.Popen([BIN, "serve", "--config", path, "--listen", "127.0.0.1:0", "--data-dir", DATA],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            time.sleep(0.05)
            for line in open(os.path.join(HERE, "fixture.log")):
                if "listening on http://" in line:
                    self.port = int(line.rsplit(":", 1)[1].split()[0].strip().strip('"'))
            if hasattr(self, "port"):
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz").status == 200: return
                except Exception: pass
        raise SystemExit("server did not start")
    def stop(self):
        self.p.terminate(); self.p.wait(30); self.log.close(); del self.port

def token(sub, ws, role="user"):
    env = dict(os.environ, PIPEWRIGHT_JWT_SECRET=SECRET)
    return subprocess.check_output([BIN, "token", "--sub", sub, "--workspaces", ws, "--role", role], env=env, text=True).strip()

def call(srv, method, path, tok, body=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{srv.port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req) as r: return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or b"{}")

def submit(srv, tok, ws, text, key=None):
    st, body = call(srv, "POST", "/api/v1/items", tok, {"workspace": ws, "text": text, "title": "t " + text[:10],
                                                         "metadata": {"source": "fixture"}}, {"Idempotency-Key": key} if key else None)
    assert st == 201, (st, body)
    return body["id"]

def wait(srv, tok, iid, want):
    for _ in range(400):
        st, body = call(srv, "GET", f"/api/v1/items/{iid}/processing-status", tok)
        if body.get("status") in want: return body["status"]
        time.sleep(0.025)
    raise SystemExit(f"{iid} never reached {want}: {body}")

def main():
    shutil.rmtree(DATA, ignore_errors=True)
    if os.path.exists(os.path.join(HERE, "fixture.log")): os.remove(os.path.join(HERE, "fixture.log"))
    alice, bob = token("alice", "acme"), token("bob", "beta")
    ids = {}
    # A: completed items of two users, one submitted with an Idempotency-Key.
    srv = Server(config())
    ids["done"] = [submit(srv, alice, "acme", f"alice completed number {k}") for k in range(5)]
    ids["bob_done"] = [submit(srv, bob, "beta", f"bob completed number {k}") for k in range(2)]
    ids["idem"] = submit(srv, alice, "acme", "submitted with a key", key="fixture-key-1")
    for i in ids["done"] + [ids["idem"]]: wait(srv, alice, i, {"completed"})
    for i in ids["bob_done"]: wait(srv, bob, i, {"completed"})
    srv.stop()
    # B: theme fails for good: partial items with dead letters.
    srv = Server(config({"theme": {"chaos": "permanent_rate = 1.0\n"}}))
    ids["partial"] = [submit(srv, alice, "acme", f"alice partial number {k}") for k in range(2)]
    for i in ids["partial"]: wait(srv, alice, i, {"partial"})
    srv.stop()
    # C: classify fails once and waits an hour for its retry (a durable timer).
    srv = Server(config({"classify": {"stage": "initial_backoff_ms = 3600000\nmax_backoff_ms = 3600000\njitter = 0.0\n",
                                      "chaos": "fail_first = 1\n"}}))
    ids["retrying"] = submit(srv, alice, "acme", "alice waits for a retry")
    for _ in range(200):
        st = call(srv, "GET", f"/api/v1/items/{ids['retrying']}/processing-status", alice)[1]
        if any(s.get("status") == "retrying" for s in st.get("stages", {}).values()): break
        time.sleep(0.025)
    srv.stop()
    # D: a slow embed with one slot: one item running, one paused, one cancelled, one queued.
    srv = Server(config({"embed": {"stage": "timeout_ms = 900000\n", "chaos": 'latency = "fixed"\nlatency_min_ms = 600000\n'}},
                        extra="[actors]\nmax_active = 2\n[server]\ndrain_timeout_ms = 200\n"))
    ids["running"] = submit(srv, alice, "acme", "alice running when the node stopped")
    ids["paused"] = submit(srv, alice, "acme", "alice paused while queued")
    ids["cancelled"] = submit(srv, bob, "beta", "bob cancelled while queued")
    ids["queued"] = submit(srv, bob, "beta", "bob queued when the node stopped")
    wait(srv, alice, ids["running"], {"processing"})
    assert call(srv, "POST", f"/api/v1/items/{ids['paused']}/pause", alice, {})[0] == 200
    assert call(srv, "POST", f"/api/v1/items/{ids['cancelled']}/cancel", bob, {})[0] == 200
    srv.stop()
    os.remove(os.path.join(HERE, "fixture.toml"))
    json.dump(ids, open(os.path.join(HERE, "ids.json"), "w"), indent=1)
    print(json.dumps(ids, indent=1))

main()
