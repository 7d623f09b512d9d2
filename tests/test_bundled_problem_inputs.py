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
    # Random seeds: at a shift of 3000 this kernel came back `correct` in about one check in ten
    # (a row's top value was often alone in its float16 bucket); at 30000 every row ties.
    job = Job(problem=resolve_problem("argmax"), code=code, shape="small")
    outcome = pool.evaluate(job)
    assert outcome.status.value == "incorrect", outcome.message
    assert "stress regime far_offset" in outcome.failed_checks()[0].name, outcome.message
