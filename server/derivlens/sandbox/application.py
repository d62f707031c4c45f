"""What the sandbox needs of the application its worker loads (`Sandbox("derivlens.runner")`).

An application is a module with these six functions; `load` checks that they are
there, and mypy checks derivlens.runner against `Application`. One that needs no
warm-up gives functions that do nothing (`warm_child` and `warm_later` return an
empty iterator, `warm_for` False, `read_paths` an empty list).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Protocol, cast


class Application(Protocol):
    def run(self, request: Any) -> Any:
        """The job, in a sandboxed child: the request and the reply are JSON; it never
        raises (user code may still call exit(), which the child reports)."""

    def warm_up(self) -> None:
        """Once in the worker before any fork (imports, caches)."""

    def warm_later(self) -> Iterator[object]:
        """More warm-up as steps, which the worker runs one at a time while no job runs
        and nothing arrived for a moment; then its spares are forked again, so that
        later children start with it done."""

    def warm_child(self) -> Iterator[object]:
        """In each spare child that waited a moment for a job, as steps stopped when the
        job arrives. Once warm, the worker also runs it in one measuring child to learn
        which pages a job writes (`prefault`)."""

    def warm_for(self, request: Any) -> bool:
        """In the worker, idle after a job, with that job's request (never to run its
        user code): whatever makes a like request faster; True if it made something new
        (the spares are then forked again)."""

    def read_paths(self) -> list[str]:
        """Extra folders children may read (the application's data files)."""


MEMBERS = ("run", "warm_up", "warm_later", "warm_child", "warm_for", "read_paths")


class NotAnApplication(ImportError):
    """The module named as the application lacks some of `Application`'s functions."""


def load(name: str) -> Application:
    """The application module `name`, imported (not warmed up), checked to have every
    function of `Application`."""
    module = importlib.import_module(name)
    missing = [member for member in MEMBERS if not callable(getattr(module, member, None))]
    if missing:
        raise NotAnApplication(f"{name} is not a sandbox application: no {', '.join(missing)}")
    return cast(Application, module)
