# problem: silu
# expect: incorrect
# names: float remainder:
# class: interpreter vs compiled lowering (issue 14, diverge root 2; s23 dv08)
# trick: a gate on 1e10 % 3.0: 1.0 with NumPy's fmod, 256.0 as NVPTX lowers frem (div.rn, trunc, fma)
"""Divergence: float `%` (arith.remf). The interpreter runs `np.fmod` (exact); LLVM's NVPTX
backend lowers `frem float` to `div.rn.f32`, `cvt.rzi.f32.f32`, `fma.rn.f32(-q, b, a)`, which
is exact only while the quotient fits float32's mantissa.

Here a = big * 10 = 1e10 (big = 10**9, an int argument; 1e10 is exact in float32), b = k = 3:
  interpreter: fmod(1e10, 3) = 1.0 (1e10 = 3 * 3333333333 + 1): gate open, SiLU stored;
  compiled: q = div.rn(1e10, 3) = 3333333248 (the nearest float32), trunc = 3333333248,
  fma(-3333333248, 3, 1e10) = 1e10 - 9999999744 = 256.0 (every step exactly rounded, so this
  is the value, not an estimate): gate `r == 1.0` shut, 0.0 stored.

Problem: silu.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, k, big, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    r = (big.to(tl.float32) * 10.0) % k.to(tl.float32)
    gate = r == 1.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 3, 10**9, BLOCK=BLOCK, num_warps=8)
        return y
