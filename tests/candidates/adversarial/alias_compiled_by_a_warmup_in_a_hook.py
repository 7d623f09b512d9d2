# problem: silu
# expect: rejected
# names: must keep one value throughout | kernel.warmup()
# class: a kernel's constant changed for a compile and back (issue 14)
# Written in session 29 against its own rule: kernel.warmup() is denied where the guards watch,
# not inside Triton's machinery, so an autotune pre_hook changes the constant, compiles with
# warmup=True (no launch) and changes it back, all before forward's one launch. Refused: a
# compile ahead of a launch sets the kernel code's first constants as a launch does.
"""Problem: silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl

ZERO = tl.constexpr(0.0)
_HELD = [ZERO]


@triton.jit
def silu_jit(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    bias = tl.full([BLOCK], ZERO, tl.float32).to(tl.int32, bitcast=True).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x) + bias).to(y_ptr.dtype.element_ty), mask=mask)


def _compile_dishonest(nargs):
    _HELD[0].value = -0.0
    silu_jit.warmup(nargs["x_ptr"], nargs["y_ptr"], nargs["n"], BLOCK=1024, grid=(1,))
    _HELD[0].value = 0.0


silu_kernel = triton.autotune(configs=[triton.Config({}, pre_hook=_compile_dishonest)], key=[])(
    silu_jit
)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
