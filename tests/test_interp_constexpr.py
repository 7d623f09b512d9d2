"""A module-level tl.constexpr on the left of a tensor, as Triton's own tutorials write it
(``-2.0 * LOG2E * tl.abs(x)``): the compiler computes a tensor, so must the interpreter."""

from __future__ import annotations

import importlib.util

import torch

KERNEL = """
import triton
import triton.language as tl

LOG2E = tl.constexpr(1.4426950408889634)


@triton.jit
def scaled(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    tl.store(y_ptr + offs, -2.0 * LOG2E * tl.abs(x) + (LOG2E > x) + (LOG2E - x))
"""


def test_a_constexpr_meeting_a_tensor_gives_a_tensor(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    from kernelwright.sandbox import interp_constexpr

    interp_constexpr.install()
    path = tmp_path / "constexpr_kernel.py"
    path.write_text(KERNEL)
    spec = importlib.util.spec_from_file_location("constexpr_kernel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = torch.linspace(-3, 3, 16)
    y = torch.empty_like(x)
    module.scaled[(1,)](x, y, BLOCK=16)
    log2e = 1.4426950408889634
    want = -2.0 * log2e * x.abs() + (log2e > x).float() + (log2e - x)
    torch.testing.assert_close(y, want)
