"""Whose operation is it: the user's code, or a library that reached it in passing?

Only the user's own forbidden operations are `blocked` (docs/protocol.md, "Sandbox");
one that library code reaches in passing (torch's lazy imports making a cache folder,
glibc's look-ups) fails quietly with the errno a locked-down machine would give, so the
library's own fallback runs. Either way the operation is refused (seccomp and Landlock
refuse it whatever the stack says): the rule picks only the kind and the words.

The rule: walk the stack outwards from the call. The standard library is transparent
(it acts for whoever called it: `shutil.rmtree`, `subprocess.run` or `open` written in
the user's file are the user's). The first frame that is not the standard library
decides: an installed package or the application (site-packages, derivlens itself)
means a library's operation; anything else (the user's file, a module of their
project, code compiled from a string) the user's.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from collections.abc import Iterable
from types import FrameType


def _prefixes(paths: Iterable[str | None]) -> tuple[str, ...]:
    """Each folder as given and as its real path (a code object keeps the path it was
    loaded by), ending in a slash."""
    folders = [p for p in paths if p]
    both = {*folders, *(os.path.realpath(p) for p in folders)}
    return tuple(sorted(p.rstrip("/") + "/" for p in both))


class Origin:
    """Tells a library's frames from the user's, for one child."""

    def __init__(self, libraries: Iterable[str | None], stdlib: Iterable[str | None]) -> None:
        self.libraries = _prefixes(libraries)
        self.stdlib = _prefixes(stdlib)

    @classmethod
    def here(cls, application_folder: str) -> Origin:
        """This interpreter's standard library and installed packages, and the folder
        of the application the worker runs."""
        paths = sysconfig.get_paths()
        packages = [paths.get("purelib"), paths.get("platlib"), *site.getsitepackages()]
        packages += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
        stdlib = [paths.get("stdlib"), paths.get("platstdlib")]
        return cls([*packages, application_folder], [p for p in stdlib if p])

    def users(self, frame: FrameType | None) -> bool:
        """Whether the operation made in `frame` is the user's (see the module's rule)."""
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(self.libraries):
                return False
            if not (name.startswith(self.stdlib) or name.startswith("<frozen ")):
                return True
            frame = frame.f_back
        return False  # standard library all the way (a thread it started): not the user's
