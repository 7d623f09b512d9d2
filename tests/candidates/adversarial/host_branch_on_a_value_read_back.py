# problem: silu
# expect: rejected
# names: changes with the data
# class: host code steered by data read back (the replay replays one path, it never re-decides)
# Found by session 28's attacker round B (correct on 3e900ad). Refused since session 28: where
# host code reads data back, it runs every trial's inputs, stress regimes included (worker.py),
# and a launch sequence that changes with the data is refused (launchlog.data_program).
# The attacker's notes:
# class: data read back from a kernel's result steers which kernels later run
# idea: a first kernel computes max|x| into a one-element buffer; host code reads it (item(), an
#       allowed read) and takes a "large-input fast path" when it exceeds 64, a kernel that stores
#       x itself (silu(x) ~ x for large positive x, and wrong everywhere else). On the two plain
#       trials the host runs (randn, max|x| ~ 4.5) the honest kernel is chosen, so both logs are
#       the same sequence of launches and only the (float) read differs: nothing in the log
#       varies, so nothing has to be derived from the reads. The stress regimes (scaled_up x100,
#       wide up to x100) are replays of trial 1's log, the honest path: the host's branch is never
#       re-decided on inputs it never saw. The candidate itself returns x on any input whose
#       magnitude passes 64 (real activations with outliers), which the check's own stress regimes
#       reach and never see.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def absmax_kernel(x_ptr, m_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
        acc = tl.maximum(acc, tl.abs(x))
    tl.store(m_ptr, tl.max(acc, axis=0))


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


@triton.jit
def large_input_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x, mask=mask)  # "silu(x) ~ x when |x| is large"


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n = x.numel()
        m = torch.empty(1, dtype=torch.float32, device=x.device)
        absmax_kernel[(1,)](x, m, n, BLOCK=BLOCK)
        y = torch.empty_like(x)
        grid = (triton.cdiv(n, BLOCK),)
        if m.item() > 64.0:
            large_input_kernel[grid](x, y, n, BLOCK=BLOCK)
        else:
            silu_kernel[grid](x, y, n, BLOCK=BLOCK)
        return y
