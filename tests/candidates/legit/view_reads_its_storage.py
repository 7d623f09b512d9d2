# problem: vector_add
# style: kernels handed views (a slice, a strided view) that read storage outside the view
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_shifted_kernel(xs_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    # xs_ptr is x[1:]: element i of x lies one before it, inside x's storage.
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(xs_ptr - 1 + offs, mask=mask)
    tl.store(out_ptr + offs, x + tl.load(y_ptr + offs, mask=mask), mask=mask)


@triton.jit
def add_odd_kernel(xo_ptr, yo_ptr, out_ptr, m, BLOCK: tl.constexpr):
    # xo_ptr/yo_ptr are x[1::2]/y[1::2]: the even element lies one before each.
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < m
    x = tl.load(xo_ptr + 2 * offs - 1, mask=mask)
    y = tl.load(yo_ptr + 2 * offs - 1, mask=mask)
    tl.store(out_ptr + 2 * offs, x + y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        n = x.numel()
        out = torch.empty_like(x)
        # Pairs through views that start one element in: each program also reads the element
        # before its own, inside the storage but outside the view.
        xo = x.as_strided((n // 2,), (2,), 1)
        yo = y.as_strided((n // 2,), (2,), 1)
        add_odd_kernel[(triton.cdiv(n // 2, 128),)](xo, yo, out, n // 2, BLOCK=128)
        # Then every element, through the slice x[1:].
        add_shifted_kernel[(triton.cdiv(n, 256),)](x[1:], y, out, n, BLOCK=256)
        return out
