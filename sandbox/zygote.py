"""The zygote: a warm process that never runs candidate code; every job runs in a fork of it.

Started by a backend as ``python -m kernelwright.sandbox.zygote SCRATCH``, inside the
sandbox. It prepares the process once (``worker.prepare``: torch, Triton, the guards) and
then, for each request, hands it to one child that does that request's work and exits. Nothing
a candidate leaves behind (a hook, a patched function, a cache, a thread) reaches the next one:
the next one starts from the zygote again, with cache folders of its own.

The child is forked ahead of its request, as soon as the one before it is gone (a fork of a
process holding torch and Triton takes ~10-15 ms, and the parent is busy meanwhile: judging
the last check, reading a result). It waits, doing nothing, for its request on its socket; only
then does it make its folders and do the work. One such spare at most, and only while no child
runs: a candidate's process never exists beside a child that will do later work.

JSON lines on stdin/stdout, the parent's side in ``pool.py``:

    parent -> {"type": KIND, ...}    a child does it, as its kind says (``CHILDREN``)
    parent -> {"type": "kill"}       the zygote kills the running child
    parent -> anything else          relayed to the running child
    zygote -> {"type": "child", "msg": {...}}   one line the child wrote, wrapped
    zygote -> {"type": "exit", "how": "..."}    the child and all it started are gone

The child talks to the zygote over a socket of its own; its copies of the zygote's pipe
are closed and the zygote is not dumpable (its /proc entries are closed to the child), so
only the zygote can write an unwrapped line: no child can forge the end of another's run.

On a GPU the zygote must never initialise CUDA: a CUDA context does not survive a fork.
``torch.cuda._lazy_init`` raises here and is restored in each child, which creates its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
# The caches a child's libraries keep on disk, each pointed into the child's own folder (its
# temporary folder): a later child in the same sandbox (whose /tmp and $HOME are shared) must
# find nothing there. Inductor's holds Python it loads and runs (a GPU baseline's
# torch.compile), Triton's compiled kernels, the CUDA driver's JIT-compiled PTX.
CACHE_DIRS = {
    "TRITON_CACHE_DIR": "triton",
    "TORCHINDUCTOR_CACHE_DIR": "inductor",
    "CUDA_CACHE_PATH": "cuda",
    "XDG_CACHE_HOME": "xdg",
}


class CudaInZygote(RuntimeError):
    """Something in the zygote tried to initialise CUDA."""


class Channel:
    """A child's end of its socket to the zygote: JSON lines, each stamped with the job's
    nonce (the parent treats a line without it as a forgery)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.nonce: str | None = None
        self._reader = sock.makefile("r", encoding="utf-8")

    def send(self, msg: dict[str, Any]) -> None:
        msg["nonce"] = self.nonce
        self.sock.sendall((json.dumps(msg, default=str) + "\n").encode())

    def recv(self) -> dict[str, Any]:
        line = self._reader.readline()
        if not line:
            os._exit(0)  # the zygote is gone: nobody is left to answer
        return json.loads(line)


def _job(chan: Channel, msg: dict[str, Any]) -> dict[str, Any]:
    from kernelwright.sandbox import worker

    return worker.run_job(chan, msg)


def _env(chan: Channel, msg: dict[str, Any]) -> dict[str, Any]:
    from kernelwright.sandbox import worker

    return {"type": "env", "env": worker.describe_env()}


def _replay(chan: Channel, msg: dict[str, Any]) -> dict[str, Any]:
    from kernelwright.sandbox import replay

    return {"type": "replayed", **replay.run_job(msg)}


# What a child can be asked to do: fn(channel, request) -> its last message.
CHILDREN: dict[str, Callable[[Channel, dict[str, Any]], dict[str, Any]]] = {
    "job": _job,
    "env": _env,
    "replay": _replay,
}


class Lines:
    """JSON-object lines read from a file descriptor as they arrive; anything else is noise."""

    def __init__(self, fd: int):
        self.fd = fd
        self._buf = b""

    def read(self) -> list[dict[str, Any]] | None:
        """The complete lines one read() brings; None at end of file, or when a non-blocking
        descriptor has nothing waiting."""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return None
        if not chunk:
            return None
        *lines, self._buf = (self._buf + chunk).split(b"\n")
        out = []
        for line in lines:
            with contextlib.suppress(ValueError):
                msg = json.loads(line)
                if isinstance(msg, dict):
                    out.append(msg)
        return out


class Zygote:
    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.capture = scratch / "capture.log"
        # The protocol moves off fds 0/1: what the children print goes to the capture file.
        self.inp = os.dup(0)
        self.out = os.fdopen(os.dup(1), "w", buffering=1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        fd = os.open(self.capture, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        self.parent = Lines(self.inp)
        self.spare: tuple[int, socket.socket] | None = None
        libc = ctypes.CDLL(None, use_errno=True)
        # Orphans of a child's children re-parent here, so one kill_tree finds them all.
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        # A planted module in the scratch folder (the working directory) must never be
        # imported by a later child's checker code.
        cwd = {"", ".", os.getcwd(), str(scratch)}
        sys.path[:] = [p for p in sys.path if p not in cwd]
        os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"  # is_available() without cuInit

        from kernelwright.sandbox import worker

        worker.prepare()
        self._allow_cuda = forbid_cuda()

    def send(self, msg: dict[str, Any]) -> None:
        self.out.write(json.dumps(msg, default=str) + "\n")
        self.out.flush()

    def serve(self) -> NoReturn:
        self._fork_spare()
        self.send({"type": "ready", "pid": os.getpid()})
        while True:
            lines = self.parent.read()
            if lines is None:
                sys.exit(0)  # the parent closed the pipe
            for msg in lines:
                # Anything else between children (a kill or a seed that came too late) is stale.
                if msg.get("type") in CHILDREN:
                    how, leftovers = self.run_child(msg)
                    self.send({"type": "exit", "how": how})
                    # Removed after the parent is told (it reads the job folder meanwhile), and
                    # before the next message is read: no later child finds any of it.
                    _remove(leftovers)
                    self._fork_spare()

    def run_child(self, msg: dict[str, Any]) -> tuple[str, list[Path]]:
        """Hand ``msg`` to the spare child (forked now if there is none), relay until it ends
        and everything it started is gone: how it ended, and what it left in the scratch
        folder (``_leftovers``)."""
        if self.spare is not None and os.waitpid(self.spare[0], os.WNOHANG)[0]:
            self.spare[1].close()  # killed while it waited (out of memory): not this job's fault
            self.spare = None
        if self.spare is None:
            self._fork_spare()
        pid, ours = self.spare
        self.spare = None
        sys.stdout.flush()
        sys.stderr.flush()
        # The capture is the child's stdout and stderr (one open file, shared since the fork).
        os.ftruncate(1, 0)
        os.lseek(1, 0, os.SEEK_SET)
        try:
            with contextlib.suppress(OSError):  # a spare that died: _relay says how
                ours.sendall((json.dumps(msg) + "\n").encode())
            how = self._relay(pid, ours)
        finally:
            ours.close()
            _kill_descendants()
        return how, self._leftovers(msg)

    def _fork_spare(self) -> None:
        """Fork the child that will do the next request; it waits for it on its socket."""
        import torch

        if torch.cuda.is_initialized():
            raise CudaInZygote("CUDA was initialised in the zygote: no child could use it")
        sys.stdout.flush()
        sys.stderr.flush()
        # The child's collections then skip the zygote's objects: walking them would cost
        # time and copy the pages they sit on.
        gc.freeze()
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            os.close(self.inp)
            self.out.close()
            self._allow_cuda()
            _child(theirs, self.scratch)
        theirs.close()
        self.spare = pid, ours

    def _relay(self, pid: int, sock: socket.socket) -> str:
        pidfd = os.pidfd_open(pid)
        child = Lines(sock.fileno())
        watched = [self.inp, sock.fileno(), pidfd]
        try:
            while True:
                ready, _, _ = select.select(watched, [], [])
                if sock.fileno() in ready and not self._forward(child):
                    watched.remove(sock.fileno())  # closed: wait for the exit itself
                if self.inp in ready:
                    lines = self.parent.read()
                    if lines is None:
                        _kill_descendants()
                        sys.exit(0)
                    for m in lines:
                        if m.get("type") == "kill":
                            _kill_descendants(reap=False)  # the child is reaped below
                        else:
                            with contextlib.suppress(OSError):
                                sock.sendall((json.dumps(m) + "\n").encode())
                if pidfd in ready:
                    _, status = os.waitpid(pid, 0)
                    # What the child wrote before it ended is in the socket: pass it on first.
                    sock.setblocking(False)
                    while sock.fileno() in watched and self._forward(child):
                        pass
                    return _exit_text(status)
        finally:
            os.close(pidfd)

    def _forward(self, child: Lines) -> bool:
        """Relay what the child wrote, wrapped; False once its socket is closed or drained."""
        lines = child.read()
        for m in lines or []:
            self.send({"type": "child", "msg": m})
        return lines is not None

    def _leftovers(self, msg: dict[str, Any]) -> list[Path]:
        """What the child left in the scratch folder, but for the capture and the job folder
        the parent has yet to read; listed while nothing else can add to it (the parent makes
        the next job's folder once told the child is gone)."""
        keep = {self.capture.name, Path(msg.get("dir") or "").name}
        return [entry for entry in self.scratch.iterdir() if entry.name not in keep]


def forbid_cuda() -> Callable[[], None]:
    """Make initialising CUDA an error in this process (torch initialises lazily, through
    ``torch.cuda._lazy_init``, whatever asks for it); returns what allows it again."""
    import torch.cuda

    original = torch.cuda._lazy_init

    def refuse(*args, **kwargs) -> NoReturn:
        raise CudaInZygote(
            "the zygote must never initialise CUDA: a CUDA context does not survive a fork, "
            "so only its children may create one"
        )

    def allow() -> None:
        torch.cuda._lazy_init = original

    torch.cuda._lazy_init = refuse
    return allow


def _own_caches(scratch: Path) -> None:
    """Point every on-disk cache at a fresh folder of this child's, in the scratch folder the
    zygote sweeps once the child has ended. The folder is the temporary folder; each cache is
    a path in it that its library makes on first use (Triton's, Inductor's, the CUDA driver's
    and an XDG cache's users do): most children make none, and every empty folder made here
    was one more to remove (milliseconds each on a busy disk, in the zygote, before the next
    child)."""
    folder = Path(tempfile.mkdtemp(prefix="caches", dir=scratch))
    for var, name in CACHE_DIRS.items():
        os.environ[var] = str(folder / name)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)  # gettempdir() answers from a copy it keeps


def _child(sock: socket.socket, scratch: Path) -> NoReturn:
    """The child's whole life: wait for its request, do it, send the answer, exit without
    cleaning up (no finalizer or atexit hook of the candidate's runs after its result is
    sent)."""
    code = 1
    try:
        chan = Channel(sock)
        msg = chan.recv()  # the zygote gone first: recv exits
        chan.nonce = msg.get("nonce")
        _own_caches(scratch)
        chan.send(CHILDREN[msg["type"]](chan, msg))
        code = 0
    except BaseException:
        traceback.print_exc()  # into the capture file, for the parent's report
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _remove(entries: list[Path]) -> None:
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _kill_descendants(reap: bool = True) -> None:
    from kernelwright.sandbox.backends import kill_tree

    if reap and _childless():
        return
    kill_tree(os.getpid(), include_root=False)
    if reap:  # zombies of killed orphans are ours to reap, as subreaper
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass


def _childless() -> bool:
    """Whether this process has no child at all, live or dead (nothing reaped). As subreaper,
    every live descendant of a child that has ended is a child here by the time that child is
    reaped, so none left means nothing to look for (``kill_tree`` reads all of /proc)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return False


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"the candidate's process was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"the candidate's process exited with status {os.waitstatus_to_exitcode(status)}"


def main() -> None:
    Zygote(Path(sys.argv[1])).serve()


if __name__ == "__main__":
    main()
