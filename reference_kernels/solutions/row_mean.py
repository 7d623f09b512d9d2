import torch
import torch.nn as nn
import triton
import triton.language as tl

# One program per row streams it through in tiles of at most this width, accumulating
# per lane in float32 and reducing across lanes once at the end.
MAX_TILE = 4096


@triton.jit
def _row_mean_kernel(x_ptr, y_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    cols = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        acc += tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + row, (tl.sum(acc, axis=0) / n_cols).to(y_ptr.dtype.element_ty))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=x.dtype, device=x.device)
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _row_mean_kernel[(n_rows,)](
            x2, y, n_cols, x2.stride(0), BLOCK=block, num_warps=8 if block >= 2048 else 4
        )
        return y.view(x.shape[:-1])
