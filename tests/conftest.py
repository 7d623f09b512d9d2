"""Shared fixtures: one warm pool for the whole session (starting workers costs seconds)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
CANDIDATES = TESTS / "candidates"


@pytest.fixture(scope="session")
def pool():
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Pool

    workers = max(2, os.cpu_count() or 2)
    with Pool(SubprocessBackend(), ["cpu"] * workers) as p:
        p.warm()
        yield p


def header(path: Path, key: str, default: str | None = None) -> str | None:
    """A ``# key: value`` line from a candidate file's header comments."""
    m = re.search(rf"^# {key}: (.+)$", path.read_text(), re.M)
    return m.group(1).strip() if m else default


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


def backend_or_skip(name: str, backend):
    """The backend if it runs here; else a skip, or a failure where CI requires it
    (``KERNELWRIGHT_REQUIRE_SANDBOXES=bwrap,docker``)."""
    ok, why = backend.available()
    if not ok:
        if name in os.environ.get("KERNELWRIGHT_REQUIRE_SANDBOXES", "").split(","):
            pytest.fail(f"{name} is required here but unavailable: {why}")
        pytest.skip(f"{name} unavailable: {why}")
    return backend
