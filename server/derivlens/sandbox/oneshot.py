"""A fresh interpreter per evaluation: the slow fallback (and the benchmark baseline).

Reads one request frame on stdin, answers one reply frame on stdout.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    from derivlens.sandbox import protocol

    request = protocol.decode(protocol.read_frame(0, protocol.MAX_REQUEST_BYTES))
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    from derivlens import runner

    reply = runner.run_request(request)
    protocol.write_all(out, protocol.encode({"reply": reply, "layers": ["env-allowlist"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
