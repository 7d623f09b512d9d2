"""A verdict made before any worker ran (format, syntax, static guards) carries the same env as
one a worker made: device name and versions, never an "unknown device" in the report."""

from __future__ import annotations

from pathlib import Path

from conftest import CANDIDATES
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool

PROBLEM = CANDIDATES / "faults" / "problem.py"
FIELDS = {"device", "device_name", "interpreter", "sandbox", "torch", "triton", "python"}


def test_format_error_env_without_a_started_worker(tmp_path: Path):
    with Pool(SubprocessBackend(), ["cpu"], scratch=tmp_path) as pool:
        outcome = pool.evaluate(Job(problem=PROBLEM, code="Sure! Here is my plan, no code."))
    assert outcome.status.value == "format_error"
    assert set(outcome.env) >= FIELDS, outcome.env
    assert outcome.env["device_name"] == "cpu (Triton interpreter)"


def test_format_error_env_matches_a_worker_verdict(pool):
    good = pool.evaluate(Job(problem=PROBLEM, code=(CANDIDATES / "faults" / "good.py").read_text()))
    early = pool.evaluate(Job(problem=PROBLEM, code="def broken(:\n    pass\n"))
    assert early.status.value == "compile_error"
    assert {k: early.env[k] for k in FIELDS} == {k: good.env[k] for k in FIELDS}
