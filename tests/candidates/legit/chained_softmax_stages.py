# problem: softmax
# style: three kernels chained through intermediates (row max, then the row sum of exp, then
# the normalised output), fp16 in and out with fp32 intermediates
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_max_kernel(x_ptr, max_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    m = tl.full((BLOCK,), -float("inf"), tl.float32)
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=-float("inf"))
        m = tl.maximum(m, x.to(tl.float32))
    tl.store(max_ptr + row, tl.max(m, axis=0))


@triton.jit
def row_sum_exp_kernel(x_ptr, max_ptr, sum_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    m = tl.load(max_ptr + row)
    s = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=-float("inf"))
        s += tl.exp(x.to(tl.float32) - m)
    tl.store(sum_ptr + row, tl.sum(s, axis=0))


@triton.jit
def normalise_kernel(x_ptr, max_ptr, sum_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=0.0).to(tl.float32)
    y = tl.exp(x - tl.load(max_ptr + row)) / tl.load(sum_ptr + row)
    tl.store(out_ptr + row * cols + offs, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        row_max = torch.empty(rows, device=x.device, dtype=torch.float32)
        row_sum = torch.empty(rows, device=x.device, dtype=torch.float32)
        out = torch.empty_like(x)
        row_max_kernel[(rows,)](x, row_max, cols, BLOCK=512)
        row_sum_exp_kernel[(rows,)](x, row_max, row_sum, cols, BLOCK=512)
        normalise_kernel[(rows, triton.cdiv(cols, 512))](x, row_max, row_sum, out, cols, BLOCK=512)
        return out
