# problem: row_mean
# style: atomics into a buffer zeroed in place (empty + zero_), then a second kernel scales the
# sums into means in place
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_partials_kernel(x_ptr, acc_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.atomic_add(acc_ptr + row, tl.sum(x, axis=0))


@triton.jit
def scale_kernel(acc_ptr, rows, inv_cols, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < rows
    tl.store(acc_ptr + offs, tl.load(acc_ptr + offs, mask=mask) * inv_cols, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        acc = torch.empty(rows, device=x.device, dtype=torch.float32)
        acc.zero_()
        add_partials_kernel[(rows, triton.cdiv(cols, 512))](x, acc, cols, BLOCK=512)
        scale_kernel[(triton.cdiv(rows, 256),)](acc, rows, 1.0 / cols, BLOCK=256)
        return acc
