# expect: incorrect
# A row minimum whose masked lanes read 0.0, not +inf: right whenever every row holds a negative
# value (randn rows, rows shifted down); wrong on a row of positives with a ragged tail.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_min_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    acc = tl.full((BLOCK,), float("inf"), tl.float32)
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        x = tl.load(x_ptr + row * n_cols + start + cols, mask=mask, other=0.0)
        acc = tl.minimum(acc, x)
    tl.store(y_ptr + row, tl.min(acc, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
        _row_min_kernel[(x.shape[0],)](x, y, x.shape[1], BLOCK=1024)
        return y
