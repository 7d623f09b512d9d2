# problem: silu
# expect: rejected
# names: must keep one value throughout | changed more than once
# class: a kernel's constant changed for a compile and back (issue 14)
# Written in session 28 against its own rule (correct at 7576eda). The static rule refuses
# stores rooted at a name a kernel reads (`ZERO.value = -0.0`); the same object held under
# another name (`_HELD[0].value`) is changed for a launch in __init__ and changed back, so the
# launch the log records reads 0.0. On a GPU the forward's launch reuses the binary compiled in
# __init__ with -0.0 (Triton's check of changed globals finds -0.0 == 0.0). Refused since
# session 29: every launch or compile in the candidate's process, recorded or not, reads its
# kernel code's constants (kernel_identity.changed_since_first), and a launch whose code was
# launched with other values is refused.
"""A constexpr changed through an alias for a launch in __init__, then changed back. Problem:
silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl

ZERO = tl.constexpr(0.0)
_HELD = [ZERO]  # the same object, under a name no kernel reads


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    bias = tl.full([BLOCK], ZERO, tl.float32).to(tl.int32, bitcast=True).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x) + bias).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        dev = "cuda" if torch.cuda.is_available() else "cpu"
        _HELD[0].value = -0.0
        for dt in (torch.float32, torch.float16, torch.bfloat16):
            for n in (16, 17):
                a = torch.zeros(n, device=dev, dtype=dt)
                b = torch.empty_like(a)
                silu_kernel[(1,)](a, b, n, BLOCK=1024)
        _HELD[0].value = 0.0

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
