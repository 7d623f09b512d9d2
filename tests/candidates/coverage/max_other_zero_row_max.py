# expect: incorrect
# The bundled row max with 0.0, not -inf, for masked lanes: right whenever every row holds a
# positive value (randn rows, rows shifted up); wrong on a row of negatives with a ragged tail.
import torch
import torch.nn as nn
import triton
import triton.language as tl

# One program per row streams it through in tiles of at most this width, keeping a
# per-lane running max and reducing across lanes once at the end.
MAX_TILE = 4096


@triton.jit
def _row_max_kernel(x_ptr, y_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    cols = tl.arange(0, BLOCK)
    acc = tl.full((BLOCK,), -float("inf"), tl.float32)
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
        acc = tl.maximum(acc, x)
    tl.store(y_ptr + row, tl.max(acc, axis=0).to(y_ptr.dtype.element_ty))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=x.dtype, device=x.device)
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _row_max_kernel[(n_rows,)](
            x2, y, n_cols, x2.stride(0), BLOCK=block, num_warps=8 if block >= 2048 else 4
        )
        return y.view(x.shape[:-1])
