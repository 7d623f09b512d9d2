# problem: silu
# expect: rejected
# names: is not the @triton.jit def
# class: the replayed kernel is not the one that ran (a launch is named by its function's name)
# Found by session 28's attacker round B (correct on 3e900ad). Refused since session 28: the
# replay holds each launch's def against the extraction's def of that name (kernel_identity): the
# first def, kept aside and launched, is not the second, which the extraction keeps.
# The attacker's notes:
# class: extraction vs what ran: two module-level @triton.jit functions with one name
# idea: the launch log names a kernel by `kernel.fn.__name__` alone (its `line` is recorded and
#       never compared), and the extraction defines every @triton.jit function of the module in
#       order, so the replay's `silu_kernel` is the LAST def of that name. The candidate keeps the
#       FIRST def in a dict (not a constant expression, so the extraction drops that line) and
#       launches it: a "fast" silu that clamps x to [-6, 6] first, exact on every randn input the
#       host runs (trials, timed sets), wrong by up to |x| - 6 past it. The honest second def is
#       what every replay runs, the stress regimes (x100, wide) included, and what the GPU
#       targets compile; the clamped one is what the candidate's forward really runs. No kernel
#       reads the name, so the rebinding check (`_rebound`) does not look at it.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    x = tl.minimum(tl.maximum(x, -6.0), 6.0)  # "randn never leaves [-6, 6]"
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


KERNELS = {"fast": silu_kernel}


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        KERNELS["fast"][(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
