"""GPU-only tricks: side streams and the caching allocator's freed reference memory."""

from __future__ import annotations

import pytest

from conftest import CANDIDATES, TESTS, header, names_one_of
from kernelwright.sandbox.backends import SubprocessBackend
from kernelwright.sandbox.pool import Job, Pool

pytestmark = pytest.mark.gpu

GPU_TRICKS = sorted((CANDIDATES / "gpu").glob("*.py"))


@pytest.fixture(scope="module")
def gpu_pool():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.fail("the gpu tests need a CUDA device")
    with Pool(SubprocessBackend(), ["cuda:0"]) as p:
        yield p


@pytest.mark.parametrize("path", GPU_TRICKS, ids=lambda p: p.stem)
def test_gpu_trick_is_refused(gpu_pool, path):
    problem = TESTS / "problems" / f"{header(path, 'problem')}.py"
    outcome = gpu_pool.evaluate(Job(problem=problem, code=path.read_text(), timing=True))
    assert outcome.status.value == header(path, "expect"), outcome.message
    assert names_one_of(header(path, "names"), outcome.message), outcome.message


def test_legitimate_kernel_is_correct_and_timed_on_gpu(gpu_pool):
    path = CANDIDATES / "legit" / "two_kernels_softmax.py"
    outcome = gpu_pool.evaluate(
        Job(problem=TESTS / "problems" / "wide_softmax.py", code=path.read_text(), timing=True)
    )
    assert outcome.correct, outcome.message
    assert outcome.timing is not None and outcome.timing.candidate_ms > 0
    assert outcome.roofline.bound_ms is not None
