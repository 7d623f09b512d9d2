"""Shared fixtures: one warm pool for the whole session (starting workers costs seconds)."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

# The Ctrl-C tests send SIGINT to the CLIs they start. A shell without job control starts a
# background job (`bash .ci/run &`) with SIGINT ignored, and an ignored signal stays ignored
# across exec, so those CLIs would never see it; a handler in this process is reset to the
# default at exec, so every CLI the tests start gets SIGINT as it would from a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
CANDIDATES = TESTS / "candidates"


@pytest.fixture(scope="session")
def pool():
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Pool

    # Under pytest-xdist each of its workers has a pool of its own: one slot each keeps as many
    # checks in flight as there are cores, as a single run's two slots do.
    workers = 1 if os.environ.get("PYTEST_XDIST_WORKER") else max(2, os.cpu_count() or 2)
    with Pool(SubprocessBackend(), ["cpu"] * workers) as p:
        p.warm()
        yield p


def selected(request, test: str, argname: str) -> list:
    """The values of ``argname`` of the tests named ``test`` in the requesting module that this
    session runs (after ``-k``, ``--deselect`` and friends), in their order."""
    return [
        item.callspec.params[argname]
        for item in request.session.items
        if item.module is request.module and getattr(item, "originalname", None) == test
    ]


@contextmanager
def checks_in_flight(pool, keys: list[Hashable], job: Callable) -> Iterator[dict[Hashable, Future]]:
    """``job(key)`` of every key, evaluated on ``pool`` in the order given, one per worker at a
    time (as `check` runs a batch), each test waiting for its own outcome only. Run one after
    the other, the checks leave one of CI's two cores idle: most of a check is one process at
    a time (trials, then replay, then the verdict). Pending checks are dropped on exit."""
    with ThreadPoolExecutor(len(pool.slots), thread_name_prefix="check") as tp:
        futures = {k: tp.submit(pool.evaluate, job(k)) for k in keys}
        try:
            yield futures
        finally:
            for f in futures.values():
                f.cancel()


def header(path: Path, key: str, default: str | None = None) -> str | None:
    """A ``# key: value`` line from a candidate file's header comments."""
    m = re.search(rf"^# {key}: (.+)$", path.read_text(), re.M)
    return m.group(1).strip() if m else default


def names_one_of(names: str, message: str) -> bool:
    """A ``# names:`` header may list alternatives separated by `` | ``. An output the
    candidate's kernels never wrote is refused (status `incorrect`) by whichever evidence
    check meets it first, and the words depend on what the candidate's own uninitialised
    memory happens to hold: NaN where the allocator reuses a poisoned block, huge garbage,
    or the zeros of fresh pages."""
    return any(n.strip() in message for n in names.split(" | "))


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose command line holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


# How to get what a test needs from the system; the set-up in README.md does not install it.
HOW_TO_GET = {
    "bwrap": "sudo bash .ci/setup_sandboxes.sh (or apt-get install bubblewrap)",
    "docker": "sudo bash .ci/setup_sandboxes.sh (installs and starts an engine, builds the image)",
    "chromium": "sudo apt-get install chromium",
}


def require_or_skip(name: str, ok: bool, why: str) -> None:
    """Nothing if ``name`` is usable here; else a skip that says how to get it, or a failure
    where CI requires it (``KERNELWRIGHT_REQUIRE_SANDBOXES=bwrap,docker,chromium``)."""
    if ok:
        return
    if name in os.environ.get("KERNELWRIGHT_REQUIRE_SANDBOXES", "").split(","):
        pytest.fail(f"{name} is required here but unavailable: {why}")
    pytest.skip(f"{name} unavailable: {why}; to run this test: {HOW_TO_GET[name]}")


def backend_or_skip(name: str, backend):
    """The backend if it runs here; else as ``require_or_skip``."""
    require_or_skip(name, *backend.available())
    return backend


def kernel_ir(source: str, record: dict) -> str:
    """The Triton IR of kernel ``k`` of ``source`` at one launch record, compiled here."""
    import tempfile

    from kernelwright.sandbox.ttir import compile_ttir

    # A folder of its own per compile: Python's line cache keys a kernel's source by path.
    got = compile_ttir(source, [record], Path(tempfile.mkdtemp()))
    assert got["ir"][0], got["errors"][0]
    return got["ir"][0]


def located_ir(tmp_path: Path, source: str, name: str) -> str:
    """The Triton IR, printed with its locations (lines of ``source``), of kernel ``name``
    taking ``(x_ptr, y_ptr, n, BLOCK)``, float32 pointers and BLOCK = 64, compiled for sm_90."""
    import importlib.util

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    path = tmp_path / f"{name}_kernels.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"{name}_kernels", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    signature = {"x_ptr": "*fp32", "y_ptr": "*fp32", "n": "i32", "BLOCK": "constexpr"}
    src = ASTSource(getattr(module, name), signature, constexprs={"BLOCK": 64})
    return triton.compile(src, target=GPUTarget("cuda", 90, 32)).asm["ttir"]


_VERSIONS_RUNNER = r"""
import importlib.util, json, sys, tempfile
import torch

BLOCK = int(sys.argv[1])
found = {}
for name, sources in json.loads(sys.stdin.read()).items():
    outs = []
    for i, src in enumerate(sources):
        path = tempfile.mkdtemp() + f"/k_{i}.py"
        open(path, "w").write(src)
        spec = importlib.util.spec_from_file_location(f"k_{name}_{i}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        runs = []
RUNS
        outs.append(runs)
    found[name] = [any(not torch.equal(r[0], r[i]) for r in zip(*outs)) for i in range(1, len(outs))]
print(json.dumps(found))
"""


def versions_differ(cases: dict[str, list[str]], block: int, runs: str) -> dict[str, list[bool]]:
    """Each case's versions of a module defining kernel ``k``, run in Triton's interpreter in a
    process of its own: for each version after the first, whether some run's bits differ from
    the first version's. ``runs`` is the code run per version, with ``mod``, ``BLOCK`` and
    ``torch`` in scope, appending each run's output viewed as integers to ``runs``."""
    import json
    import subprocess
    import sys
    import textwrap

    script = _VERSIONS_RUNNER.replace("RUNS", textwrap.indent(textwrap.dedent(runs), " " * 8))
    proc = subprocess.run(
        [sys.executable, "-c", script, str(block)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
