"""The worker's start, before it serves: its application loaded and warmed up, what its
children may read, the layers' bindings imported, and the probe child that finds which
layers every later child must have (see `worker`)."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os

from derivlens.sandbox import application, channel, protocol, strict
from derivlens.sandbox.application import Application
from derivlens.sandbox.channel import ChildStatus
from derivlens.sandbox.child import ChildConfig

#: Largest status frame (layer names and short notes).
MAX_STATUS_BYTES = 64 * 1024


def read_paths(home: str, app: Application) -> list[str]:
    """What children may read: Python, packages, system libraries, our home, and what
    the application says it needs (its data files)."""
    from derivlens.sandbox.layers.landlock_fs import SYSTEM_READ, python_read_paths

    return [*python_read_paths(), *SYSTEM_READ, home, *app.read_paths()]


def probe_layers(config: ChildConfig, app: Application) -> ChildStatus:
    """Which layers a child gets here: one throwaway child applies them all and says.

    It runs no user code, so its answer can be trusted; its layers are required of
    every later child.
    """
    from derivlens.sandbox import child

    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        child.run(req_r, rep_w, dataclasses.replace(config, warm=False), app, probe=True)
    os.close(rep_w)
    os.close(req_r)
    try:
        return read_status(rep_r, MAX_STATUS_BYTES)
    finally:
        os.close(rep_r)
        os.close(req_w)
        os.waitpid(pid, 0)


def read_status(fd: int, limit: int) -> ChildStatus:
    """The probe child's status frame (it ran no user code), or one that says it died."""
    try:
        return channel.decode(protocol.read_frame(fd, limit), ChildStatus)
    except (protocol.FrameError, strict.Malformed) as exc:
        return ChildStatus((), {"probe": f"the probe child died ({exc})"})


def preload_layers() -> None:
    """Import what the layers use here, once: imported in each child (landlock's
    bindings, libseccomp's) they would cost ~16 ms of its preparation."""
    for name in (
        "derivlens.sandbox.layers.landlock_fs",
        "derivlens.sandbox.layers.seccomp_filter",
        "landlock.plumbing",
        "pyseccomp",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def load_app(name: str) -> Application:
    """The application module, warmed up (its imports done, its caches filled), and the
    channel's converter ready (so that no child builds it again)."""
    app = application.load(name)
    app.warm_up()
    channel.warm_up()
    return app
