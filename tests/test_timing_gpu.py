"""The timer, baselines, roofline and profiler on a real GPU (run with `pytest -m gpu`)."""

from __future__ import annotations

import shutil
import statistics

import pytest
import torch
import triton
import triton.language as tl

from kernelwright.hardware import lookup, measure_peaks, peaks_for
from kernelwright.problem import load_problem
from kernelwright.sandbox.ncu import collect_metrics
from kernelwright.sandbox.roofline import (
    count_cost,
    impossibility_bound_ms,
    is_physically_impossible,
    roofline,
)
from kernelwright.sandbox.timing import BaselineCache, time_baselines, time_fn

pytestmark = pytest.mark.gpu


@triton.jit
def _copy_kernel(src, dst, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst + offs, tl.load(src + offs, mask=mask), mask=mask)


def _triton_copy(src, dst):
    _copy_kernel[(triton.cdiv(src.numel(), 4096),)](src, dst, src.numel(), BLOCK=4096)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_copy_lands_near_the_measured_bandwidth(cache_dir):
    record = measure_peaks()
    bandwidth = record["bandwidth"]
    spec = lookup(torch.cuda.get_device_name())
    if spec is not None:
        # The probe itself reads as a real copy: below the datasheet, and not absurdly so.
        assert 0.5 * spec.bandwidth <= bandwidth <= 1.05 * spec.bandwidth, record
    src = torch.randn(1 << 27, device="cuda")  # 512 MiB read, 512 MiB written
    dst = torch.empty_like(src)
    _triton_copy(src, dst)
    torch.testing.assert_close(dst, src, rtol=0, atol=0)
    stats = time_fn(lambda: _triton_copy(src, dst))
    expected_ms = 2 * src.nbytes / bandwidth * 1e3
    assert abs(stats.median_ms / expected_ms - 1) <= 0.15, (stats, expected_ms)
    assert stats.converged and not stats.hidden_work, stats


def test_work_on_a_side_stream_is_caught():
    x = torch.randn(1 << 27, device="cuda")
    y = torch.empty_like(x)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())

    def hidden():
        with torch.cuda.stream(side):
            y.copy_(x)

    caught = time_fn(hidden, budget_ms=300)
    assert caught.hidden_work, caught
    # The events saw almost nothing; the wall clock saw the copy (about 0.2 to 0.7 ms).
    assert caught.host_excess_ms > 0.1, caught
    honest = time_fn(lambda: y.copy_(x), budget_ms=300)
    assert not honest.hidden_work, honest
    assert honest.median_ms > 5 * caught.median_ms


def _alternating_medians(fn, rounds=3):
    from triton.testing import do_bench

    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(time_fn(fn).median_ms)
        theirs.append(do_bench(fn, return_mode="median"))
    return statistics.median(ours), statistics.median(theirs)


@pytest.mark.parametrize("kernel", ["triton_copy", "torch_matmul_bf16", "torch_softmax_fp16"])
def test_agrees_with_do_bench(kernel):
    if kernel == "triton_copy":
        src = torch.randn(1 << 26, device="cuda")
        dst = torch.empty_like(src)
        fn = lambda: _triton_copy(src, dst)  # noqa: E731
    elif kernel == "torch_matmul_bf16":
        a = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
        fn = lambda: torch.matmul(a, b)  # noqa: E731
    else:
        x = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
        fn = lambda: torch.softmax(x, dim=-1)  # noqa: E731
    fn()
    ours, theirs = _alternating_medians(fn)
    assert abs(ours / theirs - 1) <= 0.03, (ours, theirs)


SOFTMAX = """
import torch
ROWS = 64
COLS = 64
KERNELWRIGHT = {"dtype": "float16", "shapes": {"bench": {"ROWS": 8192, "COLS": 8192}}}
class Model(torch.nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)
def get_inputs():
    return [torch.randn(ROWS, COLS, dtype=torch.float16)]
def get_init_inputs():
    return []
"""


def test_baselines_are_timed_cached_and_held_against_the_roofline(tmp_path, cache_dir):
    path = tmp_path / "softmax.py"
    path.write_text(SOFTMAX)
    pm = load_problem(path, "bench")
    model = pm.build(pm.module.Model, 0, "cuda")
    args = pm.inputs(0, "cuda").args
    cache = BaselineCache(tmp_path)
    first = time_baselines(pm, model, args, cache=cache, budget_ms=300)
    assert first.compiled is not None, first.compile_error
    assert first.cached == {"eager": False, "compile:default": False}
    again = time_baselines(pm, model, args, cache=cache, budget_ms=300)
    assert again.cached == {"eager": True, "compile:default": True}
    assert again.eager == first.eager and again.compiled == first.compiled

    cost, _ = count_cost(pm, model, args)
    assert cost.bytes == 2 * 8192 * 8192 * 2
    peaks = peaks_for(torch.cuda.get_device_name())
    if peaks is None:
        pytest.fail(f"no peaks for {torch.cuda.get_device_name()}: add it to the table")
    for stats in (first.eager, first.compiled):
        rf = roofline(cost, peaks, stats.median_ms)
        assert rf.bound_by == "memory"
        assert 1 < rf.pct_of_bound <= 100, rf
        assert not is_physically_impossible(stats.median_ms, impossibility_bound_ms(cost, peaks))


COPY_SOLUTION = """
import torch
import triton
import triton.language as tl

@triton.jit
def copy_kernel(src, dst, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst + offs, tl.load(src + offs, mask=mask), mask=mask)

class ModelNew(torch.nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
"""

COPY_PROBLEM = """
import torch
N = 1 << 24
class Model(torch.nn.Module):
    def forward(self, x):
        return x.clone()
def get_inputs():
    return [torch.randn(N)]
def get_init_inputs():
    return []
"""


def test_ncu_reports_the_candidates_kernel(tmp_path):
    problem = tmp_path / "copy.py"
    problem.write_text(COPY_PROBLEM)
    solution = tmp_path / "copy_solution.py"
    solution.write_text(COPY_SOLUTION)
    # Within pytest's per-test timeout, so a hung profiler fails this test with ncu's message.
    result = collect_metrics(problem, solution, shape="default", enabled=True, timeout_s=60)
    if shutil.which("ncu") is None:
        assert result is None
        return
    assert "kernels" in result, result
    (kernel,) = result["kernels"]
    assert "copy_kernel" in kernel["name"]
    assert kernel["registers_per_thread"] > 0
    assert 0 < kernel["dram_throughput_pct"] <= 100
    assert kernel["duration_ns"] > 0
