# problem: softmax
# expect: incorrect
# names: a data race between the threads of program
# class: 7 (a kernel body that is not Triton: interpreter vs compiled)
# Session 26's review, written against ttir.spread: the statistic read back by every thread reaches
# the lanes inside an inlined @triton.jit helper. Refused on first try (the inliner's IR is followed).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _shift(x, m):
    return x - m


@triton.jit
def _softmax_kernel(x_ptr, y_ptr, stats_ptr, n_cols, x_row_stride, y_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    tl.store(stats_ptr + row, tl.max(x, axis=0))
    m = tl.load(stats_ptr + row)
    e = tl.exp(_shift(x, m))
    s = tl.sum(e, axis=0)
    tl.store(y_ptr + row * y_row_stride + cols, (e / s).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        stats = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        _softmax_kernel[(n_rows,)](x2, y, stats, n_cols, x2.stride(0), y.stride(0),
                                   BLOCK=triton.next_power_of_2(n_cols), num_warps=4)
        return y.view(x.shape)
