"""Every bundled problem has a known-good Triton solution that passes the full check."""

from __future__ import annotations

import pytest

from kernelwright.problem import bundled_problems_dir, find_problems
from kernelwright.reference_kernels import solution_for
from kernelwright.sandbox.pool import Job

PROBLEMS = find_problems(bundled_problems_dir())


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_bundled_solution_is_correct(pool, problem):
    solution = solution_for(problem)
    assert solution.exists(), f"no solution for {problem.name}"
    outcome = pool.evaluate(Job(problem=problem, code=solution.read_text(), timeout_s=300))
    assert outcome.correct, outcome.message
    assert outcome.roofline.bytes and outcome.roofline.bytes > 0
