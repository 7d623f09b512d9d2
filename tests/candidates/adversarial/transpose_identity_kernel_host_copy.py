# problem: transpose_copy
# expect: rejected
# names: a copy of what a kernel wrote
# class: 6 (allowed host ops doing the whole job)
# trick: an identity kernel copies the input into a buffer allocated in forward, and the host
# returns that buffer's .t().contiguous(): a host copy of kernel-written data counted as data a
# kernel wrote, so the layout op did the transpose
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        staged = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](x, staged, n, BLOCK=1024)
        return staged.t().contiguous()
