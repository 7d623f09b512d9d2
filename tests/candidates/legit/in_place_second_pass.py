# problem: silu
# style: in-place update of a buffer made in forward: the first kernel writes sigmoid(x) into
# the output, the second multiplies it by x in place (reads and writes the same buffer)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sigmoid_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 1.0 / (1.0 + tl.exp(-x)), mask=mask)


@triton.jit
def mul_in_place_kernel(buf_ptr, x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    b = tl.load(buf_ptr + offs, mask=mask)
    tl.store(buf_ptr + offs, b * tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel()
        out = torch.empty_like(x)
        grid = (triton.cdiv(n, 1024),)
        sigmoid_kernel[grid](x, out, n, BLOCK=1024)
        mul_in_place_kernel[grid](out, x, n, BLOCK=1024)
        return out
