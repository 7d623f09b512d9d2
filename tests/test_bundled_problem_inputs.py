"""Bundled problems whose inputs reach what their kernels can get wrong: the per-problem
metadata that mutation analysis (issue 15) showed was missing. Each test fails on the problem
file as it was before (a kernel bug that passed)."""

from __future__ import annotations

from conftest import CANDIDATES
from kernelwright.problem import resolve_problem
from kernelwright.sandbox.pool import Job

COVERAGE = CANDIDATES / "coverage"


def test_an_argmax_taken_in_float16_fails_on_near_equal_scores(pool):
    code = (COVERAGE / "fp16_argmax.py").read_text()
    outcome = pool.evaluate(Job(problem=resolve_problem("argmax"), code=code, shape="small"))
    assert outcome.status.value == "incorrect", outcome.message
    # Refused by the far_offset regime, or on a plain seed first where a replay's reduction
    # order meets a near-tie (which trial comes first follows the plan's order).
    failed = outcome.failed_checks()[0].name
    assert failed.startswith("output matches"), outcome.message
    assert "regime" not in failed or "far_offset" in failed, outcome.message
