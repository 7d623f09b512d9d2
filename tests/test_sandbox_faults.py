"""Hostile candidates against every isolation backend, through one warm pool per backend.

Each fault runs in the pool all the others use, and the pool must come out of it able to
pass a correct kernel, with one zygote and nothing the candidate started left alive. A
fault costs the candidate's own process only: the zygote that forked it lives on.
Backends this machine cannot run are skipped, except those named in
KERNELWRIGHT_REQUIRE_SANDBOXES (CI sets "bwrap,docker"), which then fail.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import backend_or_skip, processes_with
from kernelwright.outcome import Outcome, Status
from kernelwright.sandbox.isolation import BACKENDS
from kernelwright.sandbox.pool import Job, Pool

FAULTS = Path(__file__).parent / "candidates" / "faults"
PROBLEM = FAULTS / "problem.py"
HANG_TIMEOUT_S = 3.0
STRONG = {"bwrap", "docker"}  # the backends that promise no network and no host writes


def backend_param(name: str):
    marks = [getattr(pytest.mark, name)] if name in STRONG else []
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module", params=[backend_param(n) for n in ("subprocess", *sorted(STRONG))])
def pool(request):
    name = request.param
    backend = backend_or_skip(name, BACKENDS[name]())
    with Pool(backend, ["cpu"]) as p:
        p.warm()
        yield p


def run(pool: Pool, candidate: str, timeout_s: float = 30.0, **subst: str) -> Outcome:
    code = (FAULTS / candidate).read_text()
    for key, value in subst.items():
        code = code.replace(f"__{key}__", value)
    job = Job(problem=PROBLEM, code=code, shape="small", timeout_s=timeout_s)
    return pool.evaluate(job)


def worker_processes(pool: Pool) -> list[int]:
    """Live zygotes of this pool, whatever wraps them (bwrap, docker-init): its interpreters
    but for the zygote's own child (the spare that waits for the next request)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            argv
            and Path(argv[0].decode(errors="replace")).name.startswith("python")
            and b"kernelwright.sandbox.zygote" in argv
            and any(str(pool.scratch).encode() in a for a in argv)
        ):
            pids.append(int(entry))
    return [p for p in pids if _parent(p) not in pids]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def assert_healthy(pool: Pool) -> None:
    """The pool still passes a correct kernel, and runs exactly one worker, whose one child
    at most is the spare waiting for the next request."""
    outcome = run(pool, "good.py")
    assert outcome.status is Status.correct, outcome.message
    assert outcome.env["sandbox"] == pool.backend.name
    (zygote_pid,) = worker_processes(pool)
    children = Path(f"/proc/{zygote_pid}/task/{zygote_pid}/children").read_text().split()
    assert len(children) <= 1


def zygote(pool: Pool):
    """The handle of the pool's zygote: the same object as long as that zygote lives."""
    pool.slots[0].ensure()
    return pool.slots[0].handle


@pytest.mark.parametrize("candidate", ["loop_python.py", "loop_kernel.py"])
def test_hang_times_out(pool, candidate):
    before = zygote(pool)
    outcome = run(pool, candidate, timeout_s=HANG_TIMEOUT_S)
    assert outcome.status is Status.timeout, outcome.message
    assert zygote(pool) is before
    assert_healthy(pool)


@pytest.mark.parametrize("candidate", ["segfault.py", "sigkill_self.py", "os_exit.py"])
def test_death_is_a_crash(pool, candidate):
    before = zygote(pool)
    outcome = run(pool, candidate)
    assert outcome.status is Status.crashed, outcome.message
    assert zygote(pool) is before
    assert_healthy(pool)


def test_a_dead_zygote_is_replaced(pool):
    before = zygote(pool)
    outcome = run(pool, "kill_zygote.py")
    assert outcome.status is Status.crashed, outcome.message
    assert zygote(pool) is not before
    assert_healthy(pool)


def test_nothing_a_candidate_leaves_reaches_the_next(pool):
    # A global forward hook and a marker in torch's namespace, left at import: the next
    # candidate runs in a fresh fork of the zygote, where neither exists.
    assert run(pool, "leave_state.py").status is Status.correct
    outcome = run(pool, "find_state.py")
    assert outcome.status is Status.correct, outcome.message


def test_no_cache_folder_is_shared_between_candidates(pool):
    # Inductor's cache (Python a baseline's torch.compile would load and run), Triton's and the
    # temporary folder: in one sandbox the children share /tmp and $HOME, so each child is
    # given folders of its own, swept when it ends.
    marker = f"kw-cache-{uuid.uuid4().hex}"
    try:
        assert run(pool, "leave_cache.py", MARKER=marker).status is Status.correct
        outcome = run(pool, "find_cache.py", MARKER=marker)
        assert outcome.status is Status.correct, outcome.message
    finally:  # on the subprocess backend, a child that used the host's /tmp left it there
        for folder in (Path(tempfile.gettempdir()), *Path(tempfile.gettempdir()).glob("torch*")):
            (folder / marker).unlink(missing_ok=True)


def test_sys_exit_is_an_error_not_a_pass(pool):
    outcome = run(pool, "sys_exit.py")
    assert outcome.status in (Status.runtime_error, Status.crashed), outcome.message
    assert_healthy(pool)


def test_forged_verdict_is_ignored(pool):
    outcome = run(pool, "forge_verdict.py")
    assert outcome.status is not Status.correct, outcome.message
    assert_healthy(pool)


def test_huge_allocation_fails_cleanly(pool):
    outcome = run(pool, "alloc_huge.py")
    assert outcome.status in (Status.runtime_error, Status.crashed), outcome.message
    assert_healthy(pool)


class Watcher(threading.Thread):
    """Counts, while a candidate runs, the live processes whose argv holds a marker."""

    def __init__(self, marker: str):
        super().__init__(daemon=True)
        self.marker = marker
        self.most = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.most = max(self.most, len(processes_with(self.marker)))

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join()


@pytest.mark.parametrize(
    ("candidate", "started", "statuses"),
    [
        ("sleepers.py", 4, {Status.correct, Status.rejected}),
        ("sleepers_hang.py", 3, {Status.timeout}),
    ],
)
def test_children_in_new_sessions_do_not_survive(pool, candidate, started, statuses):
    marker = f"kw-sleeper-{uuid.uuid4().hex}"
    with Watcher(marker) as watcher:
        outcome = run(pool, candidate, timeout_s=HANG_TIMEOUT_S, MARKER=marker)
    assert outcome.status in statuses, outcome.message
    assert watcher.most >= started  # they did run, so their absence below means something
    # SIGKILL is delivered, and the killed reaped, a moment after the verdict (later still
    # across a container's boundary on a loaded machine); a survivor sleeps forever.
    deadline = time.monotonic() + 10.0
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []
    assert_healthy(pool)


def accepted(listener: socket.socket) -> bool:
    listener.settimeout(0.5)
    try:
        conn, _ = listener.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def test_host_sockets_loopback_and_unix(pool):
    # /run is where an engine's socket lives (the Docker engine's: root on the host).
    run_dir = Path("/run") if os.access("/run", os.W_OK) else Path(os.environ["XDG_RUNTIME_DIR"])
    path = run_dir / f"kw-{uuid.uuid4().hex[:12]}.sock"
    with socket.socket() as tcp, socket.socket(socket.AF_UNIX) as unix:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        unix.bind(str(path))
        unix.listen()
        try:
            outcome = run(
                pool, "connect_host.py", PORT=str(tcp.getsockname()[1]), UNIX_SOCKET=str(path)
            )
            arrived = [accepted(tcp), accepted(unix)]
        finally:
            path.unlink()
    assert outcome.status is Status.correct, outcome.message
    # Documented: only the namespace backends cut the candidate off the host's sockets.
    assert arrived == [pool.backend.name not in STRONG] * 2
    assert_healthy(pool)


def test_writes_to_host_tmp_and_home(pool):
    name = f"kw-escape-{uuid.uuid4().hex}"
    targets = [Path("/tmp") / name, Path.home() / name]
    try:
        outcome = run(
            pool,
            "write_host.py",
            HOST_TMP_FILE=str(targets[0]),
            HOST_HOME_FILE=str(targets[1]),
        )
        assert outcome.status is Status.correct, outcome.message
        appeared = [t.exists() for t in targets]
        # Documented: the subprocess backend runs with the user's own rights.
        assert appeared == [pool.backend.name not in STRONG] * 2
    finally:
        for t in targets:
            t.unlink(missing_ok=True)
    assert_healthy(pool)


def test_output_flood_is_capped(pool):
    outcome = run(pool, "flood_output.py")
    assert outcome.status is Status.correct, outcome.message
    cap = pool.limits.output_bytes
    assert len(outcome.output) < cap + 200
    assert outcome.output.startswith("FLOOD-HEAD")
    assert outcome.output.rstrip().endswith("FLOOD-TAIL")
    cut = re.search(r"(\d+) bytes of output cut", outcome.output)
    assert cut and int(cut.group(1)) >= 100 * 1024 * 1024 - cap
    assert_healthy(pool)


def test_correct_kernel_passes_after_all_faults(pool):
    assert_healthy(pool)
