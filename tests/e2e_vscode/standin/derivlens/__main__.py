"""Minimal LSP server mimicking derivlens' protocol (SPEC §6) with fake plots."""

import base64
import json
import re
import struct
import sys
import time
import zlib

DOCS: dict[str, str] = {}


def png(w, h, bg, fg, seed):
    rows = []
    for j in range(h):
        row = bytearray(b"\x00")
        for i in range(w):
            on = abs((j - h // 2) - int((h // 3) * __import__("math").sin((i + seed) / 40))) < 3
            row += bytes(fg if on else bg)
        rows.append(bytes(row))
    data = b"".join(rows)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(data, 1))
        + chunk(b"IEND", b"")
    )


def defs(text):
    out = []
    for i, line in enumerate(text.splitlines()):
        m = re.match(r"def (\w+)\(([^)]*)\)", line)
        if m:
            out.append((i, m.group(1), m.group(2)))
    return out


def enclosing(text, line):
    best = None
    for d in defs(text):
        if d[0] <= line:
            best = d
    return best


def body(text, start):
    lines = text.splitlines()
    out = [lines[start]]
    for ln in lines[start + 1 :]:
        if ln and not ln[0].isspace():
            break
        out.append(ln)
    return "\n".join(out)


inp, outp = sys.stdin.buffer, sys.stdout.buffer


def send(msg):
    b = json.dumps(msg).encode()
    outp.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
    outp.flush()


def read():
    headers = {}
    while True:
        line = inp.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        k, v = line.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return json.loads(inp.read(int(headers["content-length"])))


def plot(arg):
    text = DOCS.get(arg["uri"], "")
    d = enclosing(text, arg["position"]["line"])
    if not d:
        return None, {"code": -32803, "message": "No function here.", "data": {"kind": "not-found"}}
    src = body(text, d[0])
    if "while True" in src:
        time.sleep(2)
        return None, {
            "code": -32803,
            "message": f"{d[1]} took longer than 2 s.",
            "data": {"kind": "timeout"},
        }
    dark = arg.get("theme") == "dark"
    bg, fg = ((30, 30, 30), (120, 180, 255)) if dark else ((255, 255, 255), (30, 90, 200))
    seed = zlib.crc32(src.encode()) % 200
    data = base64.b64encode(png(600, 400, bg, fg, seed)).decode()
    xs = [-1.0, 0.0, 1.0]
    return {
        "function": d[1],
        "file": arg["uri"],
        "line": d[0] + 1,
        "variables": ["x"],
        "fixed": {},
        "domain": [-5.0, 5.0],
        "order": 1,
        "method": "autograd",
        "x": xs,
        "f": [1, 0, 1],
        "derivatives": {"1": [-2, 0, 2]},
        "critical_points": [0.0],
        "warnings": [],
        "image": {"format": "png", "data": data, "width": 600, "height": 400, "scale": 2},
        "sandbox": ["standin"],
        "elapsed_ms": 1.0,
    }, None


while True:
    msg = read()
    if msg is None:
        break
    m, mid, p = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if m == "initialize":
        send(
            {
                "jsonrpc": "2.0",
                "id": mid,
                "result": {
                    "capabilities": {
                        "hoverProvider": True,
                        "textDocumentSync": 1,
                        "codeLensProvider": {"resolveProvider": False},
                        "executeCommandProvider": {"commands": ["derivlens.plot"]},
                    }
                },
            }
        )
    elif m == "textDocument/didOpen":
        DOCS[p["textDocument"]["uri"]] = p["textDocument"]["text"]
    elif m == "textDocument/didChange":
        DOCS[p["textDocument"]["uri"]] = p["contentChanges"][-1]["text"]
    elif m == "textDocument/codeLens":
        uri = p["textDocument"]["uri"]
        send(
            {
                "jsonrpc": "2.0",
                "id": mid,
                "result": [
                    {
                        "range": {
                            "start": {"line": i, "character": 0},
                            "end": {"line": i, "character": 3},
                        },
                        "command": {
                            "title": "Plot derivative",
                            "command": "derivlens.plot",
                            "arguments": [{"uri": uri, "position": {"line": i, "character": 4}}],
                        },
                    }
                    for i, _, _ in defs(DOCS.get(uri, ""))
                ],
            }
        )
    elif m == "textDocument/hover":
        uri, line = p["textDocument"]["uri"], p["position"]["line"]
        d = [x for x in defs(DOCS.get(uri, "")) if x[0] == line]
        if not d:
            send({"jsonrpc": "2.0", "id": mid, "result": None})
        else:
            img = base64.b64encode(png(160, 100, (255, 255, 255), (30, 90, 200), 0)).decode()
            send(
                {
                    "jsonrpc": "2.0",
                    "id": mid,
                    "result": {
                        "contents": {
                            "kind": "markdown",
                            "value": f"**{d[0][1]}** (stand-in)\n\n"
                            f"![plot](data:image/png;base64,{img})\n\n▁▂▃▄▅▆▇█",
                        }
                    },
                }
            )
    elif m == "workspace/executeCommand":
        res, err = plot(p["arguments"][0])
        send({"jsonrpc": "2.0", "id": mid, **({"error": err} if err else {"result": res})})
    elif m == "shutdown":
        send({"jsonrpc": "2.0", "id": mid, "result": None})
    elif m == "exit":
        break
    elif mid is not None and m is not None:
        send({"jsonrpc": "2.0", "id": mid, "result": None})
