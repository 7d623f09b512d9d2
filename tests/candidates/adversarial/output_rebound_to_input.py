# problem: vector_add
# expect: incorrect
# names: modified input 0 in place
# class: 6 (allowed host ops doing the whole job)
# trick: output aliasing: a kernel writes x + y into x itself; the output tensor, allocated and
# passed to a launch (so it counts as kernel-written), is then rebound with set_() to x's
# storage
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_into_x(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(x_ptr + offs, x + tl.load(y_ptr + offs, mask=mask), mask=mask)


@triton.jit
def touch_kernel(out_ptr):
    pass


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        touch_kernel[(1,)](out)
        n = x.numel()
        add_into_x[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        out.set_(x)
        return out
