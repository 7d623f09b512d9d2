# problem: row_sum
# style: tl.range over int64 bounds, a range counting down by a constexpr step, `i` reused by two loops, `and` with a tensor last, a combine function of its own
import torch
import torch.nn as nn
import triton
import triton.language as tl

MAX_TILE = 4096


@triton.jit
def _add(a, b):
    return a + b


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    cols = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK,), tl.float32)
    for i in tl.range(0, n_cols.to(tl.int64), BLOCK):
        mask = i + cols < n_cols
        acc += tl.load(x_row + i + cols, mask=mask, other=0.0).to(tl.float32)
    for i in range(2, 0, -1):  # the trips 2, 1: scales by 1 twice
        acc = acc * (i * 0 + 1)
    live = 1 and n_cols  # the tensor n_cols on both sides
    lanes = tl.reduce((cols < live).to(tl.int32), 0, _add)  # a combine on int lanes: exact
    total = tl.sum(acc, axis=0)
    tl.store(y_ptr + row, tl.where(lanes > 0, total, 0.0).to(y_ptr.dtype.element_ty))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=x.dtype, device=x.device)
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _row_sum_kernel[(n_rows,)](x2, y, n_cols, x2.stride(0), BLOCK=block)
        return y.view(x.shape[:-1])
