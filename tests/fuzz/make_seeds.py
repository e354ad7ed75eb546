#!/usr/bin/env python3
"""Writes the text seed corpora of the fuzz targets (tests/fuzz/corpus/).
The binary ones (store records) come from seeds.cpp, which uses the real
encoders: build/tests/fuzz/fuzz_seeds tests/fuzz/corpus. Run from anywhere;
the output is deterministic, so a re-run changes nothing."""
import base64, hashlib, hmac, json, os, struct

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")

def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# json_bodies: first byte picks the limits (even: defaults, odd: tight).
bodies = {
    "submit": '{"workspace":"acme","text":"The app crashes when I open settings","title":"crash","metadata":{"plan":"pro","n":[1,2.5,null,true]}}',
    "submit_min": '{"workspace":"w","text":"x"}',
    "submit_unicode": '{"workspace":"w","text":"caf\\u00e9 \\ud83d\\ude00 \u00fc\u00df"}',
    "retry": '{"stages":["theme","priority"]}',
    "rollback": '{"stage":"embed"}',
    "requeue_ids": '{"ids":["01J0000000000000000000000A:theme"]}',
    "requeue_all": '{"all":true}',
    "empty_object": "{}",
    "nested": '{"metadata":{"a":{"b":{"c":{"d":[[[[1]]]]}}}}}',
    "dup": '{"text":"a","text":"b","workspace":"w"}',
}
for name, b in bodies.items():
    put("json_bodies", name, b"\x00" + b.encode())
    put("json_bodies", name + "_tight", b"\x01" + b.encode())
put("json_bodies", "blank", b"\x00 \r\n")

# cursor: cursors as the API returns them, and request targets.
def cursor(raw):
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
put("cursor", "item_id", cursor("01J0000000000000000000000A"))
put("cursor", "item_id_nul", cursor("01J0000000000000000000000A\0"))
put("cursor", "dlq_key", cursor("01J0000000000000000000000A/theme"))
put("cursor", "target", "/api/v1/items?workspace=acme&status=failed&limit=20&cursor=" + cursor("01J0000000000000000000000A"))
put("cursor", "target_pct", "/api/v1/items/%30%31?x=%zz&y=a+b&&z")

# jwt: mode byte 0 raw token, 1 header value, 2 payload to sign, 3 header\npayload to sign.
secret = b"fuzz-secret-0123456789abcdef"
def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")
def sign(header, payload):
    msg = b64u(header.encode()) + "." + b64u(payload.encode())
    mac = hmac.new(secret, msg.encode(), hashlib.sha256).digest()
    return msg + "." + b64u(mac)
hs = '{"alg":"HS256","typ":"JWT"}'
payloads = {
    "user": '{"sub":"alice","role":"user","workspaces":["acme","beta"],"exp":4102444800}',
    "admin": '{"sub":"root","role":"admin","workspaces":"*"}',
    "expired": '{"sub":"bob","exp":1}',
    "exp_float": '{"sub":"bob","exp":4102444800.5}',
    "bad_role": '{"sub":"eve","role":"owner"}',
    "room_sub": '{"sub":"@admins"}',
}
for name, p in payloads.items():
    put("jwt", "raw_" + name, b"\x00" + sign(hs, p).encode())
    put("jwt", "signed_" + name, b"\x02" + p.encode())
put("jwt", "header_bearer", b"\x01Bearer " + sign(hs, payloads["user"]).encode())
put("jwt", "alg_none", b"\x03" + b'{"alg":"none"}\n' + payloads["admin"].encode())
put("jwt", "alg_rs256", b"\x03" + b'{"alg":"RS256"}\n' + payloads["user"].encode())

# config: the --config file, NUL, environment lines.
with open(os.path.join(here, "..", "..", "bench", "config", "synthetic.toml")) as f:
    synthetic = f.read()
put("config", "synthetic", synthetic + "\0")
put("config", "env_overrides", "[log]\nlevel = \"warn\"\n\0SERVER__LISTEN=127.0.0.1:0\nLIMITS__MAX_BODY_BYTES=4096\nJWT_SECRET=0123456789abcdef0123\n")
put("config", "chaos", '[pipelines.feedback.stages.embed]\nbackend = "chaos"\nafter = []\nmax_attempts = 5\n'
    '[pipelines.feedback.stages.embed.chaos]\nlatency = "exponential"\nlatency_mean_ms = 5\nlatency_max_ms = 50\n'
    'transient_rate = 0.5\nhang_rate = 0.1\nseed = 7\n\0')
put("config", "cycle", '[pipelines.loop.stages.a]\nbackend = "synthetic"\nafter = ["b"]\n[pipelines.loop.stages.b]\nbackend = "synthetic"\nafter = ["a"]\n\0')
put("config", "bad_key", "[server]\nlisten = \"nowhere\"\nunknown = 1\n\0")

# websocket: first byte 0 = fixed handshake; then client frames (masked).
def frame(opcode, payload, fin=True, mask=b"\x01\x02\x03\x04"):
    b = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        b += bytes([0x80 | n])
    elif n < 65536:
        b += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        b += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return b + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
ping = b'{"type":"ping"}'
put("websocket", "ping_message", b"\x00" + frame(1, ping) + frame(8, b"\x03\xe8bye"))
put("websocket", "control_ping", b"\x00" + frame(9, b"hi") + frame(10, b""))
put("websocket", "fragmented", b"\x00" + frame(1, b'{"type":', fin=False) + frame(0, b'"ping"}'))
put("websocket", "binary", b"\x00" + frame(2, b"\x00\xff\x10"))
put("websocket", "flood", b"\x00" + frame(1, b"x") * 60)
put("websocket", "big_length", b"\x00" + b"\x81\xff" + struct.pack(">Q", 1 << 40) + b"\x00\x00\x00\x00")
upgrade = (b"GET /api/v1/ws?token=x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
put("websocket", "own_handshake", b"\x01" + upgrade + frame(1, ping))
put("websocket", "own_handshake_deflate",
    b"\x01" + upgrade[:-2] + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n" + frame(1, b"hello"))
