"""The profiler's kernel list on a real GPU (run with `pytest -m gpu`; scripts/device_check.sh
runs this file first).

In-process: ``profiler.capture`` around forwards whose device work is known, judged by
``kernel_list.problems`` against a launch log that shows only what forward admits to (the
Triton kernel), so a torch.matmul or an upload the test makes is hidden from the log by
construction. End to end, the candidates in tests/candidates/gpu/ run through the pool
(tests/test_verification_gpu.py); the legitimate one here must pass the kernel list too.
"""

from __future__ import annotations

import statistics

import pytest
import torch
import triton
import triton.language as tl
from launchlogs import ALLOC, COLS, ROWS, host, launch, log, ref

from conftest import CANDIDATES, TESTS
from kernelwright.sandbox import profiler
from kernelwright.sandbox.kernel_list import Profile, Session, problems
from kernelwright.sandbox.timing import time_fn

pytestmark = pytest.mark.gpu

N = ROWS * COLS


@triton.jit
def scale_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, 2 * tl.load(x_ptr + offs, mask=mask), mask=mask)


@triton.autotune(configs=[triton.Config({"BLOCK": 256}), triton.Config({"BLOCK": 1024})], key=["n"])
@triton.jit
def tuned_scale_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, 2 * tl.load(x_ptr + offs, mask=mask), mask=mask)


SCALE_LOG = log(ALLOC, launch("scale_kernel", 0, 1))


@pytest.fixture(scope="module", autouse=True)
def cuda():
    if not torch.cuda.is_available():
        pytest.fail("the gpu tests need a CUDA device")
    profiler.install()  # the worker's mark on autotune benchmarks, as prepare() installs it


def _scale(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    scale_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
    return out


def _profiled(fn) -> list:
    fn()  # compiled and warm outside the profile, as the trials leave it
    work: list = []
    with profiler.capture(work):
        fn()
    return work


def _judged(work: list, the_log=SCALE_LOG) -> list[str]:
    return problems(Profile(sessions=[Session(phase="trial", trial=0, work=work)]), [the_log])


def test_a_triton_kernel_is_listed_by_its_function_name():
    x = torch.randn(ROWS, COLS, device="cuda")
    work = _profiled(lambda: _scale(x))
    assert [(w.name, w.kind, w.count) for w in work] == [("scale_kernel", "kernel", 1)], work
    assert _judged(work) == []


def test_work_inside_the_workers_range_is_left_out():
    """Kineto links each device entry to the host op (or range) that launched it, Triton's
    launches through the driver API included: the worker's own work is found by its range."""
    x = torch.randn(ROWS, COLS, device="cuda")
    out = torch.empty_like(x)

    def worker_only():
        with profiler.own_work():
            out.zero_()
            scale_kernel[(triton.cdiv(N, 1024),)](x, out, N, BLOCK=1024)

    assert _profiled(worker_only) == []


def test_a_matmul_hidden_from_the_log_is_named():
    x = torch.randn(ROWS, COLS, device="cuda")
    w = torch.randn(COLS, 256, device="cuda")

    def forward():
        torch.matmul(x, w)  # not in the log: the log shows the Triton kernel alone
        return _scale(x)

    found = _judged(_profiled(forward))
    assert found, "the gemm went unseen"
    assert "trial 0" in found[0] and "ran on the GPU" in found[0], found


def test_a_contiguous_copy_of_a_transposed_input_and_a_zeros_fill_are_allowed():
    x = torch.randn(COLS, ROWS, device="cuda").t()  # ROWS x COLS, not contiguous
    the_log = log(
        host("aten.clone.default", [ref(0, strides=(1, ROWS))], [ref(2)]),
        host("aten.zeros.default", [], [ref(1)]),
        launch("scale_kernel", 2, 1),
        extra_buffers=1,
    )

    def forward():
        xc = x.contiguous()
        out = torch.zeros_like(xc)
        scale_kernel[(triton.cdiv(N, 1024),)](xc, out, N, BLOCK=1024)
        return out

    work = _profiled(forward)
    assert {w.name for w in work} - {"scale_kernel"}, "the copy and the fill went unseen"
    assert _judged(work, the_log) == [], work


def test_the_autotuners_benchmarks_are_accounted_for():
    x = torch.randn(ROWS, COLS, device="cuda")

    def forward():
        out = torch.empty_like(x)
        tuned_scale_kernel[lambda meta: (triton.cdiv(N, meta["BLOCK"]),)](x, out, N)
        return out

    work: list = []
    with profiler.capture(work):  # the first call: the autotuner benchmarks both configs
        forward()
    assert any(w.autotune for w in work), work
    assert _judged(work, log(ALLOC, launch("tuned_scale_kernel", 0, 1))) == [], work


def test_an_upload_of_output_size_is_named():
    x = torch.randn(ROWS, COLS, device="cuda")
    answer = (2 * x).cpu()

    def forward():
        out = _scale(x)
        out.copy_(answer)  # the answer, made on the host, hidden from the log
        return out

    found = _judged(_profiled(forward))
    assert found and any("upload" in f or "host-to-device" in f for f in found), found


def test_profiling_the_timed_calls_leaves_their_time_alone():
    """The timed calls are profiled themselves (a candidate cannot tell them from profiled
    ones); this is the check that doing so does not move the figures."""
    x = torch.randn(1 << 24, device="cuda")
    out = torch.empty_like(x)

    def fn():
        scale_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)

    fn()
    plain, profiled = [], []
    for _ in range(3):
        plain.append(time_fn(fn, budget_ms=300).median_ms)
        with profiler.capture([]):
            profiled.append(time_fn(fn, budget_ms=300).median_ms)
    ratio = statistics.median(profiled) / statistics.median(plain)
    print(f"profiled / plain median time: {ratio:.4f}")
    assert abs(ratio - 1) <= 0.03, (plain, profiled)


def test_a_legitimate_candidate_passes_the_kernel_list_end_to_end():
    from kernelwright.sandbox.backends import SubprocessBackend
    from kernelwright.sandbox.pool import Job, Pool

    code = (CANDIDATES / "legit" / "two_kernels_softmax.py").read_text()
    with Pool(SubprocessBackend(), ["cuda:0"]) as pool:
        outcome = pool.evaluate(
            Job(problem=TESTS / "problems" / "wide_softmax.py", code=code, timing=True)
        )
    assert outcome.correct, outcome.message
    listed = [c for c in outcome.checks if c.name == "kernels that ran on the GPU"]
    assert listed and all(c.passed for c in listed), outcome.checks
