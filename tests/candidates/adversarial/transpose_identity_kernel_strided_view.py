# problem: transpose_copy
# expect: incorrect
# names: where the reference is contiguous
# class: 6 (allowed host ops doing the whole job)
# trick: an identity kernel copies the input into a buffer allocated in forward (so a kernel
# wrote every element of it), and forward returns an as_strided view of that buffer with the
# transposed strides: the right shape and values, no element ever moved
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
        m, n = x.shape
        staged = torch.empty_like(x)
        copy_kernel[(triton.cdiv(m * n, 1024),)](x, staged, m * n, BLOCK=1024)
        return staged.as_strided((n, m), (1, n))
