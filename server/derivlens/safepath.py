"""Keep the working directory off `sys.path` (docs/protocol.md, "Sandbox": no code of the
workspace runs outside the sandbox).

`python -m derivlens` puts the current folder first on `sys.path`. Started from a project
folder, a `typing.py` or `json.py` of that project would then be imported by the language
server or the CLI itself, unsandboxed. The VS Code client starts the server with
`PYTHONSAFEPATH=1` in a folder of its own; this module is the server's own guard for every
other way it is started. It imports nothing that is not loaded at interpreter start-up.
"""

import os
import sys


def drop_working_directory() -> None:
    """Remove `''` and the current folder from `sys.path` (a no-op under `-P`)."""
    try:
        here = os.path.realpath(os.getcwd())
    except OSError:  # the folder was removed under us: only '' can point at it
        here = None
    sys.path[:] = [
        entry
        for entry in sys.path
        if entry not in ("", ".") and (here is None or os.path.realpath(entry) != here)
    ]


def leave_working_directory() -> None:
    """Make a folder no project owns the current one (for `serve`, which needs none)."""
    os.chdir(os.path.abspath(os.sep))
