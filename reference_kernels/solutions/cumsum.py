import torch
import torch.nn as nn
import triton
import triton.language as tl

# One program per row scans it in tiles of at most this width, carrying the running total
# from tile to tile; a wider tile makes the in-tile scan deeper for no gain in bandwidth.
MAX_TILE = 1024


@triton.jit
def _cumsum_kernel(x_ptr, y_ptr, n_cols, x_row_stride, y_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    y_row = y_ptr + row * y_row_stride
    cols = tl.arange(0, BLOCK)
    # The running total is kept broadcast over the tile so the loop-carried type never changes.
    carry = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
        y = tl.cumsum(x, axis=0) + carry
        tl.store(y_row + start + cols, y.to(y_ptr.dtype.element_ty), mask=mask)
        carry += tl.sum(x, axis=0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _cumsum_kernel[(n_rows,)](
            x2, y, n_cols, x2.stride(0), y.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape)
