# expect: timeout
# trick: the decoy of slow_compile/, then forward hangs on the second trial: the check ends
# (timeout) while the first trial's launches are still compiling; left queued, that compile
# would be waited for by the next candidate's check, and its failure charged to it
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def decoy_kernel(x_ptr, n, STEPS: tl.constexpr):
    offs = tl.arange(0, 1024)
    acc = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    for _ in tl.static_range(STEPS):
        acc = tl.sqrt(acc * acc + 1.0) - tl.exp(acc * 0.5)
    tl.store(x_ptr + offs, acc, mask=offs < n)


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    acc = x
    acc = acc + y
    tl.store(out_ptr + offs, acc, mask=mask)


CALLS = [0]


class ModelNew(nn.Module):
    def forward(self, x, y):
        CALLS[0] += 1
        while CALLS[0] >= 2:
            pass
        out = torch.empty_like(x)
        n = x.numel()
        decoy_kernel[(0,)](out, n, STEPS=4000)
        add_kernel[(triton.cdiv(n, 256),)](x, y, out, n, BLOCK=256)
        return out
