# problem: silu
# expect: rejected
# names: forward did otherwise than with the config this check ran
# class: autotune config the interpreter never picks (config coverage)
# Written in session 29 against its own rule (forward run again, dry, once per other autotune
# config, in the candidate's own process: correct at 7a520b0). The shared pre_hook zeroes the
# input for the config a GPU's benchmark picks, on the first two forward calls of the process
# only (a module counter): the dry forwards came after the two host trials, so they saw an
# honest hook. Refused: each dry forward is the first call of a copy of the process made before
# any forward (sandbox/pristine.py).
"""Problem: silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl

_CALLS = [0]


def _hook(nargs):
    if nargs["BLOCK"] == 1024 and _CALLS[0] <= 2:
        nargs["x_ptr"].zero_()


_CONFIGS = [
    triton.Config({"BLOCK": 64}, num_warps=1, num_stages=s, pre_hook=_hook) for s in range(1, 24)
] + [triton.Config({"BLOCK": 1024}, num_warps=4, pre_hook=_hook)]


@triton.autotune(configs=_CONFIGS, key=["n"])
@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        _CALLS[0] += 1
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
        return y
