"""A copy of the candidate's process as it stood before its first forward (no GPU only).

Forked once the model is built, before the first trial, it waits. Asked for work, it forks a
child per item, so that each item runs as the first forward call of a process that never ran
one: nothing forward counted, cached or kept on earlier calls (an attribute, a module global)
reaches it, as nothing had on a GPU's first call. A process with a CUDA context cannot fork
(the context does not survive it); there the work runs in the process itself.

Items and answers are JSON, length-prefixed on pipes. What a child answers comes from the
candidate's process, like its launch log: a description the checks hold against the replay.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

_SIZE = struct.Struct("<Q")


class Pristine:
    def __init__(self, work: Callable[[dict[str, Any]], dict[str, Any]]):
        requests, answers = os.pipe(), os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(requests[1])
            os.close(answers[0])
            code = 1
            try:
                request = _recv(requests[0], None)
                for item in request["items"] if request else []:
                    _send(answers[1], _in_a_child(work, item, request["timeout"]))
                code = 0
            finally:
                os._exit(code)
        os.close(requests[0])
        os.close(answers[1])
        self._requests, self._answers = requests[1], answers[0]

    def ask(self, items: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        """Each item's answer, in order; ``timeout`` seconds per item."""
        try:
            _send(self._requests, {"items": items, "timeout": timeout})
            out = []
            for _ in items:
                answer = _recv(self._answers, timeout + 5)
                out.append(answer or {"error": f"no answer within {timeout:.0f} s"})
            return out
        finally:
            self.close()

    def close(self) -> None:
        if self.pid is None:
            return
        for fd in (self._requests, self._answers):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self.pid = None


def _in_a_child(work, item: dict[str, Any], timeout: float) -> dict[str, Any]:
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 1
        try:
            try:
                answer = work(item)
            except BaseException as e:  # SystemExit and KeyboardInterrupt from a candidate too
                answer = {"error": f"{type(e).__name__}: {e}"[:2000]}
            _send(write, answer)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        answer = _recv(read, timeout)
    finally:
        os.close(read)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return answer or {"error": f"forward did not finish within {timeout:.0f} s"}


def _send(fd: int, obj: Any) -> None:
    data = json.dumps(obj).encode()
    data = _SIZE.pack(len(data)) + data
    while data:
        data = data[os.write(fd, data) :]


def _recv(fd: int, timeout: float | None) -> Any:
    """One message, or None at the end of the pipe or once ``timeout`` seconds have passed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    head = _read(fd, _SIZE.size, deadline)
    if head is None:
        return None
    body = _read(fd, _SIZE.unpack(head)[0], deadline)
    return None if body is None else json.loads(body)


def _read(fd: int, n: int, deadline: float | None) -> bytes | None:
    buf = b""
    while len(buf) < n:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return None
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
