"""What the sandbox-hardening tests share: the attacks, a victim process, and the checks.

Each attack is the body of a user's file: a function `f` that tries to reach outside its
child (another process, the worker, System V IPC, the reply channel, all the memory),
and the error kind and words it must end with. The CLI tests (`test_hardening_cli.py`)
and the language-server tests (`test_hardening_lsp.py`) run them and check, after each,
what a user would: the victim `sleep` is unchanged, no IPC object or file is left, and
the next ordinary evaluation is right and lists every layer.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: A System V key no one else uses ("dlns"), and the size that once outlived children.
IPC_KEY = 0x646C6E73
SHM_BYTES = 600 * 2**20
DOMAIN, SAMPLES = (-2.0, 2.0), 41
HEADER = f"# derivlens: domain={DOMAIN[0]:g}..{DOMAIN[1]:g} samples={SAMPLES}\n"
ORDINARY = "import torch\n" + HEADER + "def f(x):\n    return torch.sin(x) * x\n"
_runs = iter(range(1, 1 << 30))


def ordinary_source() -> str:
    """ORDINARY, made different each time (a server would answer a repeat from its cache)."""
    return ORDINARY.replace("* x\n", f"* x + 0.0 * {next(_runs)}\n")


ALL_LAYERS = {
    "rlimits", "seccomp", "landlock", "namespaces", "audit-hook", "env-allowlist",
    "private-tmp", "output-cap",
}  # fmt: skip

#: `libc()` neuters the audit hook (clears the dicts in its closure) so that only the
#: kernel's layers stand in the way, and gives the C library; `sc(nr, *args)` makes a
#: raw system call. (Functions, not module code: the slicer keeps only what f uses.)
HOOK_OFF = """
import ctypes, gc, types
def libc():
    for o in gc.get_objects():
        if isinstance(o, types.FunctionType) and o.__name__ == 'hook':
            for cell in o.__closure__ or ():
                if isinstance(cell.cell_contents, dict):
                    cell.cell_contents.clear()
    lib = ctypes.CDLL(None, use_errno=True)
    lib.syscall.restype = ctypes.c_long
    return lib
def sc(nr, *args):
    return libc().syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
"""

#: Writes a frame into every descriptor (one of them is the reply pipe) and leaves.
FORGE = f"""
import base64, json, os
def result(**changes):
    lo, hi = {DOMAIN!r}
    xs = [lo + (hi - lo) * i / ({SAMPLES} - 1) for i in range({SAMPLES})]
    value = {{"variables": ["x"], "fixed": {{}}, "domain": [lo, hi], "order": 1,
             "method": "autograd", "x": xs, "f": xs, "derivatives": {{"1": [1.0] * len(xs)}},
             "critical_points": [], "warnings": [], "image": None}}
    value.update(changes)
    return value
def forge(body, leave=True):
    if not isinstance(body, bytes):
        body = json.dumps({{"reply": {{"result": body}}, "output": ""}}).encode()
    for fd in range(3, 64):
        try:
            os.write(fd, len(body).to_bytes(4, "big") + body)
        except OSError:
            pass
    if leave:
        os._exit(0)
"""


@dataclass(frozen=True)
class Attack:
    code: str  # the body of the user's file (placeholders: VICTIM, SERVER, NR_<call>)
    kind: str
    words: str  # the message must contain these
    cli: bool = False  # also through the CLI (each CLI run costs a cold start)
    hook_off: bool = False
    forge: bool = False
    out: str | None = None  # the CLI writes the plot: "png" or "svg"


def _fn(body: str) -> str:
    return HEADER + "def f(x):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"


ATTACKS: dict[str, Attack] = {
    # -- other processes: limits, scheduling, priorities, signals, tracing, memory ------
    "prlimit-victim": Attack(
        "import resource\n"
        + _fn("resource.prlimit(VICTIM, resource.RLIMIT_CPU, (1, 1))\nreturn x"),
        "blocked",
        "act on another process (resource.prlimit(pid",
    ),
    "prlimit-victim-raw": Attack(
        _fn(
            "new = (ctypes.c_ulong * 2)(1, 1)\n"
            "libc().syscall(ctypes.c_long(NR_prlimit64), ctypes.c_long(VICTIM), ctypes.c_long(0),"
            " ctypes.byref(new), None)\nreturn x"
        ),
        "blocked",
        "system call the sandbox forbids",
        cli=True,
        hook_off=True,
    ),
    "prlimit-victim-high-bits": Attack(
        _fn(
            "new = (ctypes.c_ulong * 2)(1, 1)\n"
            "libc().syscall(ctypes.c_long(NR_prlimit64), ctypes.c_long((1 << 32) + VICTIM),"
            " ctypes.c_long(0), ctypes.byref(new), None)\nreturn x"
        ),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "prlimit-worker-nofile": Attack(
        "import os, resource\n"
        + _fn("resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (40, 40))\nreturn x"),
        "blocked",
        "act on another process",
    ),
    "prlimit-worker-nofile-raw": Attack(
        "import os\n"
        + _fn(
            "new = (ctypes.c_ulong * 2)(40, 40)\n"
            "libc().syscall(ctypes.c_long(NR_prlimit64), ctypes.c_long(os.getppid()),"
            " ctypes.c_long(7), ctypes.byref(new), None)\nreturn x"
        ),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "prlimit-server-cpu": Attack(
        "import resource\n"
        + _fn("resource.prlimit(SERVER, resource.RLIMIT_CPU, (1, 1))\nreturn x"),
        "blocked",
        "act on another process",
    ),
    "sched-setaffinity": Attack(
        "import os\n" + _fn("os.sched_setaffinity(VICTIM, {0})\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "sched-setscheduler": Attack(
        "import os\n"
        + _fn("os.sched_setscheduler(VICTIM, os.SCHED_IDLE, os.sched_param(0))\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "sched-setparam": Attack(
        "import os\n" + _fn("os.sched_setparam(VICTIM, os.sched_param(0))\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "sched-setattr": Attack(
        _fn(
            "attr = (ctypes.c_uint32 * 14)(56, 3)  # size 56, SCHED_BATCH\n"
            "libc().syscall(ctypes.c_long(NR_sched_setattr), ctypes.c_long(VICTIM),"
            " ctypes.byref(attr), ctypes.c_long(0))\nreturn x"
        ),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "setpriority-victim": Attack(
        "import os\n" + _fn("os.setpriority(os.PRIO_PROCESS, VICTIM, 19)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "setpriority-user": Attack(  # every process of this user: the victim, the server...
        "import os\n" + _fn("os.setpriority(os.PRIO_USER, os.getuid(), 19)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "setpriority-group": Attack(
        "import os\n" + _fn("os.setpriority(os.PRIO_PGRP, VICTIM, 19)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "ioprio-victim": Attack(
        _fn("sc(NR_ioprio_set, 1, VICTIM, (2 << 13) | 7)  # best-effort 7\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "ioprio-user": Attack(
        "import os\n"
        + _fn("sc(NR_ioprio_set, 3, os.getuid(), (2 << 13) | 7)  # IOPRIO_WHO_USER\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "kill-victim": Attack(
        "import os, signal\n" + _fn("os.kill(VICTIM, signal.SIGTERM)\nreturn x"),
        "blocked",
        "send a signal to another process",
    ),
    "kill-victim-group-raw": Attack(  # the victim leads its own session: only it could die
        _fn("sc(NR_kill, -VICTIM, 15)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "tgkill-victim": Attack(
        _fn("sc(NR_tgkill, VICTIM, VICTIM, 15)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "pidfd-victim": Attack(
        "import os, signal\n"
        + _fn("signal.pidfd_send_signal(os.pidfd_open(VICTIM), signal.SIGTERM)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
    ),
    "ptrace-victim": Attack(
        _fn("sc(NR_ptrace, 16, VICTIM, 0, 0)  # PTRACE_ATTACH\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "process-vm-readv-victim": Attack(
        _fn("sc(NR_process_vm_readv, VICTIM, 0, 0, 0, 0, 0)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "move-pages-victim": Attack(
        _fn("sc(NR_move_pages, VICTIM, 0, 0, 0, 0, 0)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "read-the-worker-pipes": Attack(
        "import os\n" + _fn("open(f'/proc/{os.getppid()}/fd/0', 'rb').read(1)\nreturn x"),
        "blocked",
        "read a file outside",
    ),
    # -- state that outlives the child: System V IPC, message queues, /dev/shm ----------
    "sysv-shm": Attack(
        _fn(
            f"if sc(NR_shmget, {IPC_KEY}, {SHM_BYTES}, 0o1666) >= 0:\n"
            f"    raise ValueError('a segment')\nreturn x"
        ),
        "blocked",
        "system call the sandbox forbids",
        cli=True,
        hook_off=True,
    ),
    "sysv-msg": Attack(
        _fn(f"sc(NR_msgget, {IPC_KEY}, 0o1666)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "sysv-sem": Attack(
        _fn(f"sc(NR_semget, {IPC_KEY}, 1, 0o1666)\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "posix-mq": Attack(
        _fn(
            "libc().syscall(ctypes.c_long(NR_mq_open), ctypes.c_char_p(b'dlns'),"
            " ctypes.c_long(0o102), ctypes.c_long(0o666), None)\nreturn x"
        ),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "dev-shm": Attack(
        "from multiprocessing import shared_memory\n"
        + _fn("shared_memory.SharedMemory('dlns-attack', create=True, size=1 << 20)\nreturn x"),
        "blocked",
        "write",
    ),
    # -- the reply channel ---------------------------------------------------------------
    "forge-then-return": Attack(  # the runner's frame follows: two replies
        _fn("forge(result(), leave=False)\nreturn x"),
        "crashed",
        "more than one reply",
        forge=True,
    ),
    "forge-then-linger": Attack(  # the pipe stays open past the reply
        "import time\n" + _fn("forge(result(), leave=False)\ntime.sleep(30)"),
        "crashed",
        "more than one reply",
        forge=True,
    ),
    "forge-deep-nesting": Attack(
        _fn("forge(b'{\"reply\": ' + b'[' * 200000 + b']' * 200000 + b'}')"),
        "crashed",
        "brackets",
        forge=True,
    ),
    "forge-nan": Attack(
        _fn("forge(json.dumps({'reply': {'result': result(f=[float('nan')] * 41)}}).encode())"),
        "crashed",
        "NaN is not a JSON number",
        cli=True,
        forge=True,
    ),
    "forge-wrong-types": Attack(
        _fn("forge(result(x=['0'] * 41, warnings='many'))"),
        "crashed",
        "expected a finite number",
        forge=True,
    ),
    "forge-layers": Attack(
        _fn("forge(json.dumps({'reply': {'result': result()}, 'layers': ['seccomp']}).encode())"),
        "crashed",
        "unknown fields layers",
        forge=True,
    ),
    "forge-huge-notes": Attack(
        _fn(
            "forge(json.dumps({'reply': {'result': result()}, 'notes': {'x': 'n' * 12000000}})"
            ".encode())"
        ),
        "crashed",
        "unknown fields notes",
        forge=True,
    ),
    "forge-bad-png": Attack(  # a real PNG, but not of the stated size
        _fn(
            "import io\nfrom PIL import Image\nbuf = io.BytesIO()\n"
            "Image.new('RGB', (10, 10)).save(buf, 'PNG')\n"
            "forge(result(image={'format': 'png', 'data': base64.b64encode(buf.getvalue())"
            ".decode(), 'width': 1000, 'height': 600, 'scale': 1.0, 'axes': []}))"
        ),
        "crashed",
        "a PNG of 10×10 pixels said to be 1000×600",
        cli=True,
        forge=True,
        out="png",
    ),
    "forge-svg-script": Attack(
        _fn(
            'svg = (\'<svg xmlns="http://www.w3.org/2000/svg" width="1000px" height="600px">\''
            " '<script>alert(1)</script></svg>')\n"
            "forge(result(image={'format': 'svg', 'data': base64.b64encode(svg.encode())"
            ".decode(), 'width': 1000, 'height': 600, 'scale': 1.0, 'axes': []}))"
        ),
        "crashed",
        "an SVG <script> element",
        forge=True,
        out="svg",
    ),
    # -- memory, threads, processes ------------------------------------------------------
    "mmap-50GB": Attack(
        "import mmap\n" + _fn("m = mmap.mmap(-1, 50 * 2**30)\nreturn x"),
        "memory",
        "ran out of memory",
        cli=True,
    ),
    "thread-bomb": Attack(
        "import threading, time\n"
        + _fn(
            "while True:\n    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"
        ),
        "memory",
        "ran out of memory",
    ),
    "numpy-huge": Attack(
        "import numpy as np\n" + _fn("a = np.ones((10**6, 10**5))\nreturn x"),
        "memory",
        "ran out of memory",
    ),
    "fork-bomb-hook-off": Attack(  # the hook neutered, SIGSYS ignored, errors swallowed
        "import os, signal\n"
        + _fn(
            "signal.signal(signal.SIGSYS, lambda *a: None)\nwhile True:\n"
            "    try:\n        os.fork()\n    except BaseException:\n        pass"
        ),
        "blocked",
        "system call the sandbox forbids",
        cli=True,
        hook_off=True,
    ),
    "thread-flood-small-stacks": Attack(  # fits in the memory limit: the task cap stops it
        "import threading, time\n"
        + _fn(
            "threading.stack_size(32768)\nwhile True:\n"
            "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"
        ),
        "memory",
        "ran out of memory",
        cli=True,
    ),
    "clear-parent-death-signal": Attack(  # then outlive a killed worker
        _fn("libc().prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "become-dumpable": Attack(  # then siblings could read this child's /proc entries
        _fn("libc().prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "clone-thread-in-new-namespace": Attack(
        _fn("sc(NR_clone, 0x10000000 | 0x3d0f00, 0, 0, 0, 0)  # CLONE_NEWUSER\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
    "clone-raw": Attack(
        _fn("sc(NR_clone, 17, 0, 0, 0, 0)  # SIGCHLD: a new process\nreturn x"),
        "blocked",
        "system call the sandbox forbids",
        hook_off=True,
    ),
}


def syscall_numbers() -> dict[str, int]:
    """NR_<name> for the calls the attacks make, on this machine's architecture."""
    import pyseccomp

    names = ("prlimit64", "sched_setattr", "ioprio_set", "kill", "tgkill", "ptrace",
             "process_vm_readv", "move_pages", "shmget", "msgget", "semget", "mq_open",
             "clone")  # fmt: skip
    arch = pyseccomp.system_arch()
    return {f"NR_{n}": pyseccomp.resolve_syscall(arch, n) for n in names}


def source_of(attack: Attack, victim: int, server: int) -> str:
    """The user's file for `attack`, its placeholders filled in."""
    code = attack.code
    prelude = (HOOK_OFF if attack.hook_off else "") + (FORGE if attack.forge else "")
    if prelude:  # after the header's imports, before the directive and f
        code = code.replace(HEADER, prelude + HEADER, 1)
    if attack.hook_off:
        code = code.replace("def f(x):\n", "def f(x):\n    libc()\n", 1)
    values = {**syscall_numbers(), "VICTIM": victim, "SERVER": server}
    for name in sorted(values, key=len, reverse=True):
        code = code.replace(name, str(values[name]))
    return code


# --- the victim and what must not change ------------------------------------------------


def ioprio(pid: int) -> int:
    import pyseccomp

    nr = pyseccomp.resolve_syscall(pyseccomp.system_arch(), "ioprio_get")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return int(libc.syscall(ctypes.c_long(nr), ctypes.c_long(1), ctypes.c_long(pid)))


def process_state(pid: int) -> dict[str, Any]:
    """Everything of `pid` an attack above would change."""
    state: dict[str, Any] = {
        name: resource.prlimit(pid, getattr(resource, name))
        for name in dir(resource)
        if name.startswith("RLIMIT_")
    }
    state["affinity"] = os.sched_getaffinity(pid)
    state["scheduler"] = os.sched_getscheduler(pid)
    state["priority"] = os.sched_getparam(pid).sched_priority
    state["nice"] = os.getpriority(os.PRIO_PROCESS, pid)
    state["ioprio"] = ioprio(pid)
    state["alive"] = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] not in "ZX"
    status = Path(f"/proc/{pid}/status").read_text()
    state["tracer"] = int(status.split("TracerPid:")[1].split()[0])
    return state


class Victim:
    """A `sleep` in a session of its own, and its state when it started."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(["sleep", "1000"], start_new_session=True)
        self.pid = self.proc.pid
        self.before = process_state(self.pid)

    def assert_unchanged(self) -> None:
        assert self.proc.poll() is None, "the victim was killed"
        assert process_state(self.pid) == self.before
        state = Path(f"/proc/{self.pid}/stat").read_text().split(")")[1].split()[0]
        assert state == "S", f"the victim is no longer just sleeping ({state})"

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def ipc_keys() -> set[int]:
    """The keys of every System V IPC object this user can see (shm, msg, sem)."""
    keys = set()
    for kind in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{kind}") as f:
            for line in f.readlines()[1:]:
                keys.add(int(line.split()[0]))
    return keys


def message_queue_exists(name: bytes = b"dlns") -> bool:
    """Is there a POSIX message queue `name` (the attacks' own) in this IPC namespace?"""
    import pyseccomp

    arch = pyseccomp.system_arch()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(
        ctypes.c_long(pyseccomp.resolve_syscall(arch, "mq_open")),
        ctypes.c_char_p(name),
        ctypes.c_long(os.O_RDONLY),
        ctypes.c_long(0),
        None,
    )
    if fd >= 0:
        os.close(fd)
    return fd >= 0


def assert_nothing_left(tmp: Path, expected: set[str] | None = None) -> None:
    """No IPC object with our key, no message queue or /dev/shm file of ours, and nothing
    in the temp folder but `expected` (a running server's own private folder)."""
    assert IPC_KEY not in ipc_keys(), "a System V IPC object was left behind"
    assert not message_queue_exists(), "a POSIX message queue was left behind"
    assert not [n for n in os.listdir("/dev/shm") if "dlns" in n], "a /dev/shm file was left"
    assert set(os.listdir(tmp)) == (expected or set()), "left in the temp folder"


def private_tmp(base: Path) -> Path:
    """A temporary folder of the test's own (TMPDIR for the CLI or the server)."""
    path = Path(tempfile.mkdtemp(prefix="tmp-", dir=base))
    path.chmod(0o700)
    return path
