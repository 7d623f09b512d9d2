# problem: vector_add
# style: a persistent kernel, a fixed grid looping over blocks
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_persistent(x_ptr, y_ptr, out_ptr, n, NUM_PROGS: tl.constexpr, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    for start in range(pid * BLOCK, n, NUM_PROGS * BLOCK):
        offs = start + tl.arange(0, BLOCK)
        mask = offs < n
        tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask) + tl.load(y_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_persistent[(4,)](x, y, out, x.numel(), NUM_PROGS=4, BLOCK=128)
        return out
