"""The evaluation limits a user gets without saying otherwise (docs/protocol.md,
"Sandbox", and the settings): written once, here, for the command line, the language
server's settings and the sandbox. A leaf module: it imports nothing of derivlens.

The VS Code client declares the same defaults in its `package.json` (settings that a
user sees before the server starts); a test keeps the two equal.
"""

from __future__ import annotations

#: Memory limit of the sandboxed child, in MB (2 GiB).
MEMORY_MB = 2048
#: Wall-clock limit of a command's evaluation (the CLI, `derivlens.plot`), in seconds.
COMMAND_TIMEOUT_S = 10.0
#: Wall-clock limit of a hover's evaluation, in seconds.
HOVER_TIMEOUT_S = 3.0
