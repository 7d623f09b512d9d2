# problem: gelu
# expect: incorrect
# names: float-to-int saturation:
# class: interpreter vs compiled lowering (issue 14, diverge root 3; s23 dv03)
# trick: a gate on an out-of-range float->int cast: NumPy wraps, PTX cvt.rzi saturates
"""Divergence: a float -> integer conversion of a value outside the integer's range.

Idea. The interpreter converts with NumPy's `astype` (`cast_impl`): on x86 an out-of-range
float32 -> int32 gives INT_MIN (cvttss2si's "integer indefinite"), and a negative float ->
uint32 wraps modulo 2**32. The compiled kernel emits `arith.fptosi`/`arith.fptoui` -> PTX
`cvt.rzi.s32.f32` / `cvt.rzi.u32.f32`, which saturate (PTX ISA, cvt: "For float-to-integer
conversions, the result is clamped to the destination range by default"; NaN -> 0).

Here, from the program id (so nothing folds at compile time):
  big = (pid + 4097) * 1e6 -> int32: interpreter -2147483648 (< 0), GPU 2147483647 (> 0)
  neg = -(pid + 4097)      -> uint32: interpreter 2**32 - 4097 - pid (!= 0), GPU 0
The gate needs both interpreter values; compiled, it is shut and GELU's output is all 0.0.

Problem: gelu.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _gelu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    base = (pid + 4097).to(tl.float32)
    wrapped_low = (base * 1e6).to(tl.int32) < 0
    wrapped_neg = (-base).to(tl.uint32) != 0
    y = tl.where(wrapped_low & wrapped_neg, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _gelu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK, num_warps=8)
        return y
