"""`python -m derivlens.sandbox.probe APP`: fork one child, apply every layer, report.

Run by `doctor()` in a separate interpreter with the worker's clean environment, so the
answer is what evaluations really get (and the caller's process is never sandboxed).
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    import importlib

    from derivlens.sandbox import child, protocol
    from derivlens.sandbox.startup import read_paths

    app = importlib.import_module(sys.argv[1])  # imported only, not warmed up: no user code
    config = child.ChildConfig(read_paths(os.environ.get("HOME", os.getcwd()), app), warm=False)
    req_r, _req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rep_r)
        child.run(req_r, rep_w, config, app, probe=True)
    os.close(rep_w)
    try:
        envelope = protocol.decode(protocol.read_frame(rep_r))
    except protocol.FrameError as exc:
        envelope = {"layers": [], "notes": {"probe": f"the probe child died ({exc})"}}
    _, status = os.waitpid(pid, 0)
    envelope["status"] = status
    print(json.dumps(envelope))
    return 0


if __name__ == "__main__":
    sys.exit(main())
