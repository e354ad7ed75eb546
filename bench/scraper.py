#!/usr/bin/env python3
"""An operator watching a node: every second GET /metrics and
GET /api/v1/admin/actors with an admin token, and one admin WebSocket with
?stats=1 (what the dashboard opens). Stops on SIGTERM/SIGINT or after
--seconds, then prints one JSON summary: scrapes, their latency and size,
stats frames received. Loopback only.

  bench/scraper.py --port 8080 --secret S [--seconds 600] [--out FILE]
  bench/scraper.py --port 8080 --secret S --cost N --pid PID   # CPU the server spends per scrape
"""
import argparse, base64, hashlib, hmac, http.client, json, os, signal, socket, statistics, struct, sys, threading, time

def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def token(secret):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "bench-operator", "role": "admin", "workspaces": "*",
                           "exp": int(time.time()) + 3600}).encode())
    sig = b64(hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"

class StatsSocket(threading.Thread):
    def __init__(self, port, tok):
        super().__init__(daemon=True)
        self.frames, self.port, self.tok, self.error = 0, port, tok, None
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /api/v1/ws?stats=1&token={tok} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk: raise RuntimeError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]: raise RuntimeError(head.split(b"\r\n")[0].decode())
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.sock.settimeout(None)

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk: raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, opcode, payload):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def run(self):
        try:
            while True:
                b0, b1 = self.read(2)
                n = b1 & 0x7F
                if n == 126: n = struct.unpack(">H", self.read(2))[0]
                elif n == 127: n = struct.unpack(">Q", self.read(8))[0]
                payload = self.read(n)
                op = b0 & 0x0F
                if op == 0x9: self.send(0xA, payload)          # ping -> pong
                elif op == 0x8: return                           # close
                elif op == 0x1 and b'"type":"stats"' in payload[:40]: self.frames += 1
        except (EOFError, OSError) as e:
            self.error = str(e)

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def cost(a, tok):
    """N scrapes of each route back to back on an otherwise idle node: the
    server's CPU seconds per scrape (from /proc), and the wall time."""
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    out = {}
    for path in ("/metrics", "/api/v1/admin/actors"):
        c0, t0 = cpu_seconds(a.pid), time.perf_counter()
        for _ in range(a.cost):
            conn.request("GET", path, headers={"Authorization": "Bearer " + tok})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, r.status
        wall = time.perf_counter() - t0
        out[path] = {"n": a.cost, "server_cpu_us_per_scrape": round((cpu_seconds(a.pid) - c0) / a.cost * 1e6),
                     "wall_ms_per_scrape": round(wall / a.cost * 1000, 3), "bytes": len(body)}
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out")
    ap.add_argument("--cost", type=int, default=0)
    ap.add_argument("--pid", type=int)
    a = ap.parse_args()
    tok = token(a.secret)
    if a.cost:
        text = json.dumps(cost(a, tok))
        if a.out: open(a.out, "w").write(text + "\n")
        print(text)
        return
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT): signal.signal(s, lambda *_: stop.set())
    ws = StatsSocket(a.port, tok)
    ws.start()
    lat = {"/metrics": [], "/api/v1/admin/actors": []}
    size = {k: 0 for k in lat}
    errors = 0
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    end = time.monotonic() + a.seconds
    next_at = time.monotonic()
    while not stop.is_set() and time.monotonic() < end:
        for path in lat:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Authorization": "Bearer " + tok})
                r = conn.getresponse()
                body = r.read()
                if r.status != 200: errors += 1
                lat[path].append((time.perf_counter() - t0) * 1000)
                size[path] = len(body)
            except OSError:
                errors += 1
                conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
        next_at += a.interval
        stop.wait(max(0, next_at - time.monotonic()))
    q = lambda v, p: round(sorted(v)[min(len(v) - 1, int(p * len(v)))], 2) if v else None
    out = {"scrapes": {p: {"n": len(v), "p50_ms": q(v, 0.5), "p99_ms": q(v, 0.99), "max_ms": round(max(v), 2) if v else None,
                           "bytes": size[p]} for p, v in lat.items()},
           "errors": errors, "stats_frames": ws.frames, "socket_error": ws.error}
    text = json.dumps(out)
    if a.out: open(a.out, "w").write(text + "\n")
    print(text)

if __name__ == "__main__":
    main()
