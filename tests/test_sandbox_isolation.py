"""The isolation backends on their own, with a tiny echo worker instead of the real one.

What the pool relies on: a backend starts a worker that answers, kill() leaves nothing
the worker started alive, a worker dies with the process that owns it, and asking for
a backend that cannot run says what is missing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import backend_or_skip, processes_with
from kernelwright.sandbox.backends import Limits, WorkerSpec
from kernelwright.sandbox.isolation import (
    BACKENDS,
    BackendUnavailable,
    BwrapBackend,
    DockerBackend,
    DockerHandle,
    select_backend,
)

# Answers each message with its pid, its effective capabilities and whether it may
# write a host kernel setting; {"spawn": MARKER} first starts two sleepers in
# new sessions, one double-forked, with MARKER in their argv. A child subreaper, as the
# real worker is, so the orphaned sleeper stays in its process tree.
ECHO_WORKER = textwrap.dedent(
    """
    import ctypes, json, os, sys
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("spawn"):
            for daemon in (False, True):
                pid = os.fork()
                if pid == 0:
                    os.setsid()
                    if daemon and os.fork():
                        os._exit(0)
                    sleep = "import time\\nwhile True: time.sleep(1)"
                    os.execv(sys.executable, [sys.executable, "-c", sleep, msg["spawn"]])
                if daemon:
                    os.waitpid(pid, 0)
        status = open("/proc/self/status").read()
        caps = int(status.split("CapEff:")[1].split()[0], 16)
        sysctl = os.access("/proc/sys/kernel/panic_on_oops", os.W_OK)
        print(json.dumps({"pid": os.getpid(), "caps": caps, "sysctl": sysctl, **msg}), flush=True)
    """
)


class EchoSpec(WorkerSpec):
    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-c", ECHO_WORKER]


def echo_spec(scratch: Path) -> EchoSpec:
    return EchoSpec(device="cpu", scratch=scratch, env=dict(os.environ), limits=Limits())


def backend_param(name: str):
    marks = [getattr(pytest.mark, name)] if name in ("bwrap", "docker") else []
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture(params=[backend_param(n) for n in BACKENDS])
def backend(request):
    return backend_or_skip(request.param, BACKENDS[request.param]())


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_worker_answers_and_kill_leaves_nothing(backend, tmp_path):
    marker = f"kw-iso-{uuid.uuid4().hex}"
    handle = backend.start(echo_spec(tmp_path))
    try:
        handle.send({"spawn": marker})
        reply = handle.recv(60)
        assert reply is not None and reply["spawn"] == marker
        assert wait_until(lambda: len(processes_with(marker)) == 2)
    finally:
        handle.kill()
    assert wait_until(lambda: processes_with(marker) == [], timeout=5)


def test_namespace_backends_hide_pids_and_hold_no_power(backend, tmp_path):
    handle = backend.start(echo_spec(tmp_path))
    try:
        handle.send({})
        reply = handle.recv(60)
    finally:
        handle.kill()
    if backend.name == "subprocess":
        assert reply["pid"] == handle.pid
    else:
        assert reply["pid"] < 20  # numbered inside its own pid namespace
        assert reply["caps"] == 0  # root inside, but powerless
        assert reply["sysctl"] is False


@pytest.mark.bwrap
def test_bwrap_worker_outlives_its_starting_thread_and_dies_with_its_process(tmp_path):
    backend_or_skip("bwrap", BwrapBackend())
    marker = f"kw-owner-{uuid.uuid4().hex}"
    owner = textwrap.dedent(
        f"""
        import json, os, sys, threading, time
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_sandbox_isolation import echo_spec
        from kernelwright.sandbox.isolation import BwrapBackend
        held = {{}}
        t = threading.Thread(target=lambda: held.update(h=BwrapBackend().start(
            echo_spec(Path({str(tmp_path)!r})))))
        t.start()
        t.join()
        time.sleep(0.5)  # the starting thread is gone; the worker must not be
        held["h"].send({{"spawn": os.environ["KW_MARKER"]}})
        print(json.dumps(held["h"].recv(60)), flush=True)
        time.sleep(600)
        """
    )
    # The marker travels in the environment: in argv it would mark the owner as well.
    proc = subprocess.Popen(
        [sys.executable, "-c", owner],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "KW_MARKER": marker},
    )
    try:
        reply = json.loads(proc.stdout.readline())
        assert reply["spawn"] == marker
        assert wait_until(lambda: len(processes_with(marker)) == 2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert wait_until(lambda: processes_with(marker) == [], timeout=10)


@pytest.mark.docker
def test_docker_orphans_are_reaped(tmp_path):
    docker = pytest.importorskip("docker")
    backend_or_skip("docker", DockerBackend())
    owner = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_sandbox_isolation import echo_spec
        from kernelwright.sandbox.isolation import DockerBackend
        h = DockerBackend().start(echo_spec(Path({str(tmp_path)!r})))
        print(h.container.name, flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", owner], stdout=subprocess.PIPE, text=True)
    name = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    client = docker.from_env()
    client.containers.get(name)  # still there: nothing but the reaper removes it
    DockerBackend().available()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(name)


class _FakeContainer:
    attrs = {"State": {"Pid": 0}}

    def reload(self) -> None:
        pass


def test_docker_handle_reads_stdout_frames_split_anyhow():
    ours, theirs = socket.socketpair()
    handle = DockerHandle(_FakeContainer(), ours)

    def frame(kind: int, payload: bytes) -> bytes:
        return struct.pack(">BxxxL", kind, len(payload)) + payload

    stream = (
        frame(2, b'{"type": "forged on stderr"}\n')
        + frame(1, b'{"a": ')
        + frame(1, b"1}\nnot json\n")
        + frame(1, b'{"b": 2}\n')
    )
    for i in range(0, len(stream), 5):  # frames and headers cut across reads
        theirs.sendall(stream[i : i + 5])
    assert handle.recv(5) == {"a": 1}
    assert handle.recv(5) == {"b": 2}
    assert handle.recv(0.2) is None
    handle.send({"c": 3})
    assert theirs.recv(100) == b'{"c": 3}\n'
    ours.close()
    theirs.close()


def test_unknown_backend_names_the_choices():
    with pytest.raises(BackendUnavailable, match="choose one of auto, subprocess, bwrap, docker"):
        select_backend("firecracker")


def test_missing_bwrap_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailable, match="bwrap is not installed"):
        select_backend("bwrap")


def test_silent_docker_engine_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(BackendUnavailable, match="Docker engine does not answer"):
        select_backend("docker")


@pytest.mark.docker
def test_missing_image_names_the_build_script(monkeypatch):
    backend_or_skip("docker", DockerBackend())
    monkeypatch.setenv("KERNELWRIGHT_DOCKER_IMAGE", "kernelwright-no-such-image:0")
    with pytest.raises(BackendUnavailable, match="make_sandbox_image.sh"):
        select_backend("docker")


def test_auto_picks_the_strongest_available():
    expected = next((n for n in ("docker", "bwrap") if BACKENDS[n]().available()[0]), "subprocess")
    assert select_backend("auto").name == expected
