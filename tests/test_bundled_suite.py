"""Every bundled problem has a known-good Triton solution that passes the full check."""

from __future__ import annotations

import pytest

from conftest import checks_in_flight, selected
from kernelwright.problem import bundled_problems_dir, find_problems
from kernelwright.reference_kernels import solution_for
from kernelwright.sandbox.pool import Job

PROBLEMS = find_problems(bundled_problems_dir())


@pytest.fixture(scope="module")
def outcomes(pool, request):
    chosen = selected(request, "test_bundled_solution_is_correct", "problem")
    with checks_in_flight(
        pool,
        [p for p in chosen if solution_for(p).exists()],
        lambda p: Job(problem=p, code=solution_for(p).read_text(), timeout_s=300),
    ) as futures:
        yield futures


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_bundled_solution_is_correct(outcomes, problem):
    solution = solution_for(problem)
    assert solution.exists(), f"no solution for {problem.name}"
    outcome = outcomes[problem].result()
    assert outcome.correct, outcome.message
    assert outcome.roofline.bytes and outcome.roofline.bytes > 0
