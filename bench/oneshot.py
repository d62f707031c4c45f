"""A fresh interpreter per evaluation: the slow way, run as a benchmark baseline.

    python bench/oneshot.py < request-frame > reply-frame

Reads one request frame (a `model.EvaluationRequest` as JSON) on stdin and answers one
reply frame on stdout, with the same application code the sandbox's children run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))


def main() -> int:
    from derivlens.sandbox import protocol

    request = protocol.decode(protocol.read_frame(0, protocol.MAX_REQUEST_BYTES))
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    from derivlens import runner

    reply = runner.run(request)
    protocol.write_all(out, protocol.encode({"reply": reply, "layers": ["env-allowlist"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
