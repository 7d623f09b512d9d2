"""Isolation backends: how a worker process is started, talked to and killed.

Every backend starts the same worker, the zygote (``python -m kernelwright.sandbox.zygote``),
and speaks the same protocol, JSON lines on its stdin and stdout; they differ only in what
the worker, and every child it forks, can reach. Tensors never travel over the pipe: the
children write them into the scratch folder, which the parent can read.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class WorkerDied(Exception):
    """The worker process ended; ``str()`` says how (exit code or signal)."""


@dataclass(frozen=True)
class Limits:
    """Per-worker hard limits. ``None`` means no limit.

    The address-space limit is off on a GPU: the CUDA driver reserves far more virtual
    memory than it uses, so RLIMIT_AS breaks CUDA initialisation.
    """

    address_space_bytes: int | None = 16 << 30
    nproc: int | None = 256
    file_size_bytes: int | None = 4 << 30
    output_bytes: int = 16 << 10  # candidate stdout+stderr kept, half head, half tail


@dataclass
class WorkerSpec:
    device: str  # "cpu" or "cuda:N"
    scratch: Path
    env: dict[str, str]
    limits: Limits = field(default_factory=Limits)
    # Host paths the worker must read (Python, the venv, kernelwright's source).
    read_only: tuple[Path, ...] = ()

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", "kernelwright.sandbox.zygote", str(self.scratch)]


class WorkerHandle(Protocol):
    pid: int | None

    def send(self, msg: dict[str, Any]) -> None: ...

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None after ``timeout`` seconds; WorkerDied on exit."""
        ...

    def kill(self) -> None:
        """Kill the worker and everything it started, new sessions included."""
        ...


class Backend(Protocol):
    name: str

    def available(self) -> tuple[bool, str]: ...

    def start(self, spec: WorkerSpec) -> WorkerHandle: ...


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid``, found by walking /proc parent links."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields resume after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def kill_tree(pid: int, include_root: bool = True) -> None:
    """SIGKILL a process's descendants (stopping them first, so none can fork away)."""
    for _ in range(5):
        procs = descendants(pid)
        if not procs:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for p in procs:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
    if include_root:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class PipeHandle:
    """A worker reached through its stdin/stdout pipes (subprocess and bwrap backends)."""

    def __init__(self, proc: subprocess.Popen, root_pid: int | None = None):
        self.proc = proc
        self.pid = proc.pid
        self._root = root_pid or proc.pid
        self._buf = b""

    def send(self, msg: dict[str, Any]) -> None:
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._exit_text()) from None

    def recv(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise WorkerDied(self._exit_text())
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            # Not a message of the worker's: treat as noise, never as a verdict.
            return self.recv(max(0.0, deadline - time.monotonic()))
        return msg if isinstance(msg, dict) else None

    def _exit_text(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the worker stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            return f"the worker was killed by {name}"
        return f"the worker exited with status {code}"

    def kill(self) -> None:
        kill_tree(self._root)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _rlimits(limits: Limits):
    def apply() -> None:
        pairs = [
            (resource.RLIMIT_AS, limits.address_space_bytes),
            (resource.RLIMIT_NPROC, limits.nproc),
            (resource.RLIMIT_FSIZE, limits.file_size_bytes),
            (resource.RLIMIT_CORE, 0),
        ]
        for which, value in pairs:
            if value is not None:
                resource.setrlimit(which, (value, value))

    return apply


def popen_worker(argv: list[str], spec: WorkerSpec) -> subprocess.Popen:
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=spec.env,
        cwd=spec.scratch,
        start_new_session=True,
        preexec_fn=_rlimits(spec.limits),
    )


class SubprocessBackend:
    """rlimits and a process group only: the weakest isolation, always available.

    Guarantees: a hang, crash or runaway child never outlives its check; memory, file
    size and core dumps are bounded. Does not guarantee: no network, no writes outside
    the scratch folder, and (as root) the process-count limit, which root ignores.
    """

    name = "subprocess"

    def available(self) -> tuple[bool, str]:
        return True, "always available"

    def start(self, spec: WorkerSpec) -> WorkerHandle:
        return PipeHandle(popen_worker(spec.argv, spec))
