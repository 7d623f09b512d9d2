# problem: silu
# expect: compile_error
# names: changed more than once | the constant LIMIT it reads held
# class: the replayed kernel is not the one that ran (a module constant changed in place)
# Found by session 28's attacker round B (correct on 3e900ad). Refused since session 28: each
# launch records the module constants its kernel reads as they were at the launch, and the replay
# holds them against the values the source binds (kernel_identity).
# The attacker's notes:
# class: module attributes changed at import without a second binding
# idea: the extraction keeps a constant's one top-level binding and refuses a name the module
#       binds twice (kernel_source._rebound counts Name stores, imports, defs, globals()...), but
#       an attribute store is no binding: `LIMIT.value = 6.0` changes the very tl.constexpr object
#       the kernel reads. The replay's module runs only `LIMIT = tl.constexpr(1.0e30)` (no clamp:
#       the honest SiLU); the candidate's kernel, in its own process and on a GPU, clamps x to
#       [-6, 6] first: exact on every randn input the host runs (trials, timed sets), wrong by up
#       to |x| - 6 past it, on exactly the inputs the stress regimes (x100, wide) make and only the
#       replay (with the unmutated constant) runs.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024
LIMIT = tl.constexpr(1.0e30)


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    x = tl.minimum(tl.maximum(x, -LIMIT), LIMIT)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


LIMIT.value = 6.0  # "randn never leaves [-6, 6]"


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
