"""`python -m derivlens.sandbox.probe APP`: fork one child, apply every layer, report.

Run by `doctor()` in a separate interpreter with the worker's clean environment, so the
answer is what evaluations really get (and the caller's process is never sandboxed).
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from derivlens.sandbox import application, channel, child, protocol
    from derivlens.sandbox.startup import read_paths, read_status

    app = application.load(sys.argv[1])  # imported only, not warmed up: no user code
    config = child.ChildConfig(read_paths(os.environ.get("HOME", os.getcwd()), app), warm=False)
    req_r, _req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rep_r)
        child.run(req_r, rep_w, config, app, probe=True)
    os.close(rep_w)
    probed = read_status(rep_r, protocol.MAX_REPLY_BYTES)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({**channel.CONVERTER.unstructure(probed), "status": status}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
