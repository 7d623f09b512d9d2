# problem: transpose_copy
# expect: rejected
# names: not one block
# class: 6 (allowed host ops doing the whole job)
# trick: host code "prepares the kernel's input" as x.t().contiguous(), which is the whole
# transpose; an identity kernel copies it into a fresh output, so every output element is
# kernel-written.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        xt = x.t().contiguous()
        y = torch.empty_like(xt)
        _copy_kernel[(triton.cdiv(xt.numel(), 1024),)](xt, y, xt.numel(), BLOCK=1024)
        return y
