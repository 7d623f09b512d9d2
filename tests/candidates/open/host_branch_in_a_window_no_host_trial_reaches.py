# problem: silu
# expect: incorrect
# names: output agrees with its launches | is not what its launches compute
# class: host code deciding on data no log shows, in a window no host trial reaches (issue 14)
# OPEN: a known false accept on the CPU (session 28, written against its own rule that each
# shape set's second host trial is a large stress regime's). The host reads max|x| through the
# tensor's printed text (no torch op, so no read in the log) and takes a wrong "large input"
# kernel only where 4.8 < max|x| < 50: no plain seed (max about 4.3) nor either host regime
# (scaled_up, wide: hundreds) lands there; the replays of the other regimes run the first log's
# honest path. Real activations land there on a GPU. The rule that would close it: host code
# runs every trial's inputs (the cost of one interpreted forward per regime), or reading a
# tensor's data by any channel counts as a read.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


@triton.jit
def silu_fast_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x, mask=mask)  # "silu(x) ~ x where the inputs are large"


@triton.jit
def absmax_kernel(x_ptr, m_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros([BLOCK], tl.float32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc = tl.maximum(acc, tl.abs(tl.load(x_ptr + offs, mask=offs < n, other=0.0)))
    tl.store(m_ptr, tl.max(acc, 0))


def _peek(t):
    s = str(t)
    return float(s[s.index("(") + 1 : s.index(")")].split(",")[0])


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        grid = (triton.cdiv(n, 1024),)
        m = torch.empty(1, device=x.device, dtype=torch.float32)
        absmax_kernel[(1,)](x, m, n, BLOCK=1024)
        if 4.8 < _peek(m[0]) < 50.0:
            silu_fast_kernel[grid](x, y, n, BLOCK=1024)
        else:
            silu_kernel[grid](x, y, n, BLOCK=1024)
        return y
