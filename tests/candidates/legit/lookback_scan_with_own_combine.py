# problem: silu
# style: a decoupled look-back scan across programs (inductor's helper, atomics and spins) with a combine function of the candidate's own; interleaved on half the replays, each program with its own probe call path
import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch._inductor.runtime import triton_helpers

BLOCK = 1024


@triton.jit
def _comb(a, b):
    return a + b


@triton.jit
def _silu_kernel(x_ptr, y_ptr, scratch_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    one = tl.full([], 1, tl.int64)
    ex = triton_helpers.exclusive_scan_decoupled_lookback_64(scratch_ptr, one, pid, _comb)
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.where(ex == pid, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        grid = triton.cdiv(n, BLOCK)
        scratch = torch.zeros(3 * grid, dtype=torch.uint64, device=x.device)
        _silu_kernel[(grid,)](x, y, scratch, n, BLOCK=BLOCK)
        return y
