# problem: silu
# expect: rejected
# names: must keep one value throughout
# class: a kernel's constant changed for a compile and back (issue 14)
# Written in session 29 against its own rule: the constant is changed for launches of a second
# JITFunction made of the same def (its own in-memory cache, but the same key in Triton's cache
# on disk, where the forward's kernel finds the binary compiled with -0.0), so the kernel object
# forward launches never saw -0.0. Refused: the first launch is kept per kernel code (its def and
# helpers by digest), not per object.
"""Problem: silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl

ZERO = tl.constexpr(0.0)
_HELD = [ZERO]


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    bias = tl.full([BLOCK], ZERO, tl.float32).to(tl.int32, bitcast=True).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x) + bias).to(y_ptr.dtype.element_ty), mask=mask)


_twin = triton.jit(silu_kernel.fn)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        dev = "cuda" if torch.cuda.is_available() else "cpu"
        _HELD[0].value = -0.0
        for dt in (torch.float32, torch.float16, torch.bfloat16):
            for n in (16, 17):
                a = torch.zeros(n, device=dev, dtype=dt)
                _twin[(1,)](a, torch.empty_like(a), n, BLOCK=1024)
        _HELD[0].value = 0.0

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
