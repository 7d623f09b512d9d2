"""Verification that cannot be gamed: every known trick is refused with a message naming
it, and legitimate kernels in many styles all pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CANDIDATES, TESTS, checks_in_flight, header, names_one_of, selected
from kernelwright.problem import resolve_problem
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool

ADVERSARIAL = sorted((CANDIDATES / "adversarial").glob("*.py"))
LEGIT = sorted((CANDIDATES / "legit").glob("*.py"))
# Known false accepts, each saying why it is still open: refusing one fails the run (strict), so
# it moves to adversarial/ the day it is closed.
OPEN = sorted((CANDIDATES / "open").glob("*.py"))
# Pairs run in turn on one worker slot: plant.py leaves state behind, use.py would profit from it.
LINGERING = sorted(p for p in (CANDIDATES / "lingering").iterdir() if p.is_dir())


def _problem(path):
    name = header(path, "problem")
    local = TESTS / "problems" / f"{name}.py"
    return local if local.exists() else resolve_problem(name)


def _job(path):
    # `small` alone is the cheapest check; a trick that only another shape set refuses (or a
    # kernel that must pass the whole default check) names it: `# shape: even`, `default`.
    shape = header(path, "shape", "small")
    return Job(
        problem=_problem(path), code=path.read_text(), shape=None if shape == "default" else shape
    )


@pytest.fixture(scope="module")
def verdicts(pool, request):
    """Every selected candidate's check, started at once; a test waits for its own."""
    paths = selected(request, "test_trick_is_refused", "path")
    paths += selected(request, "test_open_trick_is_refused", "path")
    paths += selected(request, "test_legitimate_kernel_passes", "path")
    # An empty corpus (open/, once every trick in it is closed) is one skipped test, no path.
    paths = [p for p in paths if isinstance(p, Path)]
    with checks_in_flight(pool, paths, _job) as futures:
        yield futures


@pytest.mark.parametrize("path", ADVERSARIAL, ids=lambda p: p.stem)
def test_trick_is_refused(verdicts, path):
    outcome = verdicts[path].result()
    assert outcome.status.value == header(path, "expect"), outcome.message
    assert names_one_of(header(path, "names"), outcome.message), outcome.message


@pytest.mark.parametrize("path", OPEN, ids=lambda p: p.stem)
# raises: only the verdict's assertion is the expected failure; any other error is a failure.
@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="a known false accept: see the file's OPEN note"
)
def test_open_trick_is_refused(verdicts, path):
    test_trick_is_refused(verdicts, path)


@pytest.mark.parametrize("path", LEGIT, ids=lambda p: p.stem)
def test_legitimate_kernel_passes(verdicts, path):
    outcome = verdicts[path].result()
    assert outcome.correct, outcome.message


@pytest.fixture(scope="module")
def one_slot():
    """One worker slot for every pair (a pair's second candidate runs where its first ran)."""
    with Pool(SubprocessBackend(), ["cpu"]) as p:
        yield p


@pytest.mark.parametrize("pair", LINGERING, ids=lambda p: p.name)
def test_state_left_by_one_candidate_does_not_reach_the_next(one_slot, pair):
    # As the agent's pool runs them: one candidate after another on the same slot. The first
    # (a correct kernel) leaves a hook, a thread or a patched launcher behind that would compute
    # the second's answer; the second's own kernel does nothing.
    plant, use = pair / "plant.py", pair / "use.py"
    planted = one_slot.evaluate(_job(plant))
    assert planted.correct, planted.message  # its import ran, so what it leaves is there
    used = one_slot.evaluate(_job(use))
    assert used.status.value == header(use, "expect"), used.message
    assert names_one_of(header(use, "names"), used.message), used.message


def test_corpora_are_large_enough():
    assert len(ADVERSARIAL) >= 15
    assert len(LEGIT) >= 10


LIBRARY = """
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)
"""

USES_LIBRARY = """
import torch
import torch.nn as nn
import triton
from fancy_kernels import add_kernel


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
        return out
"""


def test_a_library_kernel_is_not_the_candidates_work(tmp_path, monkeypatch):
    # An installed package's Triton kernel (here one on the worker's path) launched instead of
    # the candidate's own: the values are right, a launch is counted, no torch op is traced.
    (tmp_path / "fancy_kernels.py").write_text(LIBRARY)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    )
    with Pool(SubprocessBackend(), ["cpu"]) as pool:
        job = Job(problem=TESTS / "problems" / "vector_add.py", code=USES_LIBRARY, shape="small")
        outcome = pool.evaluate(job)
    assert outcome.status.value == "rejected", outcome.message
    assert "add_kernel is not a module-level @triton.jit function of the source" in outcome.message
