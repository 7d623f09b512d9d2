# expect: incorrect
# KernelBench's ReLU with a grid that drops the last partial block: right whenever the input
# holds a multiple of 1024 elements, as every halving of KernelBench's sizes did.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.zeros_like(x)
        n = x.numel()
        relu_kernel[(n // 1024,)](x, out, n, BLOCK=1024)
        return out
