"""Verification that cannot be gamed: every known trick is refused with a message naming
it, and legitimate kernels in many styles all pass."""

from __future__ import annotations

import pytest

from conftest import CANDIDATES, TESTS, header
from kernelwright.problem import resolve_problem
from kernelwright.sandbox.pool import Job

ADVERSARIAL = sorted((CANDIDATES / "adversarial").glob("*.py"))
LEGIT = sorted((CANDIDATES / "legit").glob("*.py"))


def _problem(path):
    name = header(path, "problem")
    local = TESTS / "problems" / f"{name}.py"
    return local if local.exists() else resolve_problem(name)


@pytest.mark.parametrize("path", ADVERSARIAL, ids=lambda p: p.stem)
def test_trick_is_refused(pool, path):
    outcome = pool.evaluate(Job(problem=_problem(path), code=path.read_text(), shape="small"))
    assert outcome.status.value == header(path, "expect"), outcome.message
    assert header(path, "names") in outcome.message, outcome.message


@pytest.mark.parametrize("path", LEGIT, ids=lambda p: p.stem)
def test_legitimate_kernel_passes(pool, path):
    outcome = pool.evaluate(Job(problem=_problem(path), code=path.read_text(), shape="small"))
    assert outcome.correct, outcome.message


def test_corpora_are_large_enough():
    assert len(ADVERSARIAL) >= 15
    assert len(LEGIT) >= 10
