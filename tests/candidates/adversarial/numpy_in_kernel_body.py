# problem: wide_softmax
# expect: compile_error
# names: softmax_kernel
# class: 7 (a kernel body that is not Triton)
# trick: the @triton.jit body loads its row with tl.load, then computes the softmax in NumPy on
# the interpreter's own arrays (x.handle.data); it stores with tl.store. No GPU compiles this
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf"))
    a = x.handle.data
    e = np.exp(a - a.max())
    x.handle.data = (e / e.sum()).astype(a.dtype)
    tl.store(out_ptr + row * cols + offs, x, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
