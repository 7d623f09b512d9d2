# Hangs inside a Triton kernel: the loop's bound is a runtime argument the body never changes.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _spin(x_ptr, y_ptr, n, forever, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    while forever > 0:
        x = x + 1.0
    tl.store(y_ptr + offs, x, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _spin[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), 1, BLOCK=1024)
        return y
