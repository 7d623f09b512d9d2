# problem: silu
# expect: incorrect
# names: Every element equals
# class: interpreter vs compiled lowering (issue 14, diverge root 2; s23 dv09)
# trick: a gate on 1200 -> float8e4nv: 288 in the interpreter, 448 (satfinite) compiled
"""Divergence: float32 -> float8e4nv (e4m3, largest finite 448) of a value past its range. The
compiled kernel converts with PTX `cvt.rn.satfinite.e4m3x2.f32` (saturates to 448); the
interpreter's `_convert_float` does its own bit arithmetic, which gives 288.0 for 1200.0
(measured: probe/run_misc.py). Closed first by the "fp8 saturation" perturbation (a replay),
now in every run by interp_floats.py: float8 conversions are sm_90's, 1200 -> 448.

Here v = k * 400 (k = 3, an int argument): 1200 -> fp8 -> fp32: interpreter 288.0, compiled
448.0. The gate `v8 < 448` is open in the interpreter (SiLU stored), shut compiled (0.0).

Problem: silu.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, k, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    v8 = (k.to(tl.float32) * 400.0).to(tl.float8e4nv).to(tl.float32)
    gate = v8 < 448.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 3, BLOCK=BLOCK, num_warps=8)
        return y
