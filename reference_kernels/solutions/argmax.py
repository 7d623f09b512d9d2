import torch
import torch.nn as nn
import triton
import triton.language as tl

# One program per row streams it through in tiles of at most this width, keeping a
# per-lane best value and its index, and reducing across lanes once at the end.
MAX_TILE = 4096


@triton.jit
def _argmax_kernel(x_ptr, y_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    cols = tl.arange(0, BLOCK)
    best = tl.full((BLOCK,), -float("inf"), tl.float32)
    best_idx = tl.zeros((BLOCK,), tl.int32)
    for start in range(0, n_cols, BLOCK):
        idx = start + cols
        x = tl.load(x_row + idx, mask=idx < n_cols, other=-float("inf")).to(tl.float32)
        # Strictly greater: a lane keeps its earliest index among equal values.
        take = x > best
        best = tl.where(take, x, best)
        best_idx = tl.where(take, idx, best_idx)
    row_best = tl.max(best, axis=0)
    # Lowest index among the lanes holding the maximum: torch.argmax's first-index rule.
    first = tl.min(tl.where(best == row_best, best_idx, n_cols), axis=0)
    tl.store(y_ptr + row, first.to(tl.int64))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=torch.int64, device=x.device)
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _argmax_kernel[(n_rows,)](
            x2, y, n_cols, x2.stride(0), BLOCK=block, num_warps=8 if block >= 2048 else 4
        )
        return y.view(x.shape[:-1])
