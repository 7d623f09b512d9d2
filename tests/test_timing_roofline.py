"""Roofline math on known shapes: bytes, flops, the bound, and the impossibility rule."""

from __future__ import annotations

import pytest
import torch

from kernelwright.hardware import peaks_for
from kernelwright.problem import load_problem
from kernelwright.sandbox.roofline import (
    IMPOSSIBLE_MARGIN,
    Cost,
    bound,
    count_cost,
    impossibility_bound_ms,
    is_physically_impossible,
    roofline,
    tensor_bytes,
)

SOFTMAX = """
import torch
ROWS = 8192
COLS = 8192
KERNELWRIGHT = {"dtype": "float16", "shapes": {"bench": {"ROWS": 8192, "COLS": 8192}}}
class Model(torch.nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)
def get_inputs():
    return [torch.randn(ROWS, COLS, dtype=torch.float16)]
def get_init_inputs():
    return []
"""

LINEAR = """
import torch
M = 64
K = 32
N = 48
class Model(torch.nn.Module):
    def __init__(self, k, n):
        super().__init__()
        self.fc = torch.nn.Linear(k, n)
    def forward(self, x):
        return torch.relu(self.fc(x))
def get_inputs():
    return [torch.randn(M, K)]
def get_init_inputs():
    return [K, N]
"""

DECLARED = """
import torch
N = 1000
KERNELWRIGHT = {"flops": "7*N", "bytes": "3*N"}
class Model(torch.nn.Module):
    def forward(self, x, y):
        return x @ y
def get_inputs():
    return [torch.randn(N, 4), torch.randn(4, 4)]
def get_init_inputs():
    return []
"""


@pytest.fixture
def datasheet(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    return lambda name: peaks_for(name, "test")


def _problem(tmp_path, source, shape=None):
    path = tmp_path / "problem.py"
    path.write_text(source)
    return load_problem(path, shape)


def _on_meta(pm):
    # Bytes and flops at full size without allocating: meta tensors carry shapes, not data.
    with torch.device("meta"):
        args = pm.inputs(0, device="meta").args
        model = pm.build(pm.module.Model, 0, device="meta")
    return model, args


def test_softmax_8192_fp16_bytes_and_bound(tmp_path, datasheet):
    pm = _problem(tmp_path, SOFTMAX, "bench")
    cost, out = count_cost(pm, *_on_meta(pm))
    assert cost.bytes == 2 * 8192 * 8192 * 2  # one fp16 read and one fp16 write: 256 MiB
    assert (cost.read_bytes, cost.write_bytes) == (8192 * 8192 * 2, 8192 * 8192 * 2)
    assert cost.flops == 0 and cost.dtype == "float16"
    assert tuple(out.shape) == (8192, 8192)
    rf = roofline(cost, datasheet("NVIDIA H200"), measured_ms=0.1)
    assert rf.bound_by == "memory"
    assert rf.bound_ms == pytest.approx(268435456 / 4.8e12 * 1e3)  # 0.0559 ms
    assert rf.pct_of_bound == pytest.approx(rf.bound_ms / 0.1 * 100)


def test_linear_flops_are_counted_and_parameters_are_read(tmp_path):
    pm = _problem(tmp_path, LINEAR)
    model = pm.build(pm.module.Model, 0)
    args = pm.inputs(0).args
    cost, out = count_cost(pm, model, args)
    assert cost.flops == 2 * 64 * 32 * 48
    weights = (32 * 48 + 48) * 4
    assert cost.read_bytes == 64 * 32 * 4 + weights
    assert cost.write_bytes == 64 * 48 * 4
    assert cost.dtype == "float32" and not cost.declared_flops
    torch.testing.assert_close(out, torch.relu(model.fc(args[0])))


def test_declared_formulas_win(tmp_path):
    pm = _problem(tmp_path, DECLARED)
    cost, _ = count_cost(pm, pm.build(pm.module.Model, 0), pm.inputs(0).args)
    assert (cost.flops, cost.bytes) == (7000, 3000)
    assert cost.declared_flops and cost.declared_bytes and cost.read_bytes is None


def test_tensor_bytes_counts_each_tensor_once_and_views_by_their_size():
    x = torch.zeros(100, 10)
    assert tensor_bytes([x, x], {"again": (x,)}) == 4000
    assert tensor_bytes(x[:, :5]) == 2000
    assert tensor_bytes(x, x.t()) == 8000  # a transpose is another access pattern of the data
    assert tensor_bytes([1, "a", None]) == 0


def test_matmul_8192_bf16_is_compute_bound(datasheet):
    n = 8192
    cost = Cost(bytes=3 * n * n * 2, flops=2 * n**3, dtype="bfloat16")
    bound_ms, by = bound(cost, datasheet("NVIDIA H100 80GB HBM3"))
    assert by == "compute"
    assert bound_ms == pytest.approx(2 * n**3 / 989e12 * 1e3)  # 1.11 ms


def test_fp32_is_bounded_by_tf32_and_fp64_without_a_rate_by_memory(datasheet):
    n = 4096
    h100 = datasheet("NVIDIA H100 80GB HBM3")
    fp32 = Cost(bytes=3 * n * n * 4, flops=2 * n**3, dtype="float32")
    assert bound(fp32, h100)[0] == pytest.approx(2 * n**3 / 494.5e12 * 1e3)
    l40s = datasheet("NVIDIA L40S")  # no fp64 figure in its datasheet
    fp64 = Cost(bytes=3 * n * n * 8, flops=2 * n**3, dtype="float64")
    assert bound(fp64, l40s) == (pytest.approx(3 * n * n * 8 / 864e9 * 1e3), "memory")


def test_cpu_roofline_has_bytes_and_flops_only():
    rf = roofline(Cost(bytes=1024, flops=10, dtype="float32"), None, measured_ms=None)
    assert (rf.bytes, rf.flops) == (1024, 10)
    assert rf.bound_ms is None and rf.pct_of_bound is None and rf.bound_by is None


def test_impossibility_rule():
    assert IMPOSSIBLE_MARGIN == 0.10
    assert is_physically_impossible(0.05, 0.08)
    assert not is_physically_impossible(0.075, 0.08)  # within the margin
    assert not is_physically_impossible(0.2, 0.08)
    assert not is_physically_impossible(0.0001, None)
    assert not is_physically_impossible(0.0005, 0.002)  # event resolution on tiny kernels
    assert is_physically_impossible(0.5, 1.0, margin=0.2)


def test_impossibility_bound_forgives_one_cache_of_writes(datasheet):
    h100 = datasheet("NVIDIA H100 80GB HBM3")
    big = Cost(bytes=2 * 8192 * 8192 * 2, flops=0, dtype="float16")
    expected = (big.bytes - 50 * 1024 * 1024) / 3.35e12 * 1e3
    assert impossibility_bound_ms(big, h100) == pytest.approx(expected)
    small = Cost(bytes=16 << 20, flops=0, dtype="float16")
    assert impossibility_bound_ms(small, h100) == 0.0
    assert not is_physically_impossible(1e-6, impossibility_bound_ms(small, h100))
    # An honest softmax at 90% of the datasheet bandwidth is not rejected; one at 3x is.
    honest_ms = big.bytes / (0.9 * 3.35e12) * 1e3
    assert not is_physically_impossible(honest_ms, impossibility_bound_ms(big, h100))
    assert is_physically_impossible(honest_ms / 3, impossibility_bound_ms(big, h100))
