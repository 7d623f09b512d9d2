# problem: silu
# expect: rejected
# names: an autotuner was made during forward
# class: autotune config the interpreter never picks (config coverage)
# Written in session 29 against its own rule (dry calls per autotune config, each the first call
# of a copy of the process forked before any forward, where the candidate made an autotuner
# before it). The autotuner is made at the first call of forward, so no copy is kept, and the
# shared pre_hook is evil for the GPU's pick on the first two calls only. Refused: an autotuned
# launch with other configs whose autotuner was made during forward (a GPU would benchmark a new
# one at every call of such code; wrap kernels at import).
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


@triton.jit
def silu_jit(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


_TUNED = {}


class ModelNew(nn.Module):
    def forward(self, x):
        _CALLS[0] += 1
        if "k" not in _TUNED:  # made at the first call: after any copy made before forward
            _TUNED["k"] = triton.autotune(configs=_CONFIGS, key=["n"])(silu_jit)
        silu_kernel = _TUNED["k"]
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
        return y
