# expect: incorrect
# argmax over float16 copies of a float32 row (half the registers per lane): exact on randn,
# whose largest values lie tenths apart, but scores far from zero are a few float32 ulps
# apart relative to their size, round to one float16 value and tie, and the first of the tied
# indices is returned instead of the largest value's. argmax's far_offset regime makes them.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def argmax_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    best = tl.full((BLOCK,), -float("inf"), tl.float16)
    best_idx = tl.zeros((BLOCK,), tl.int32)
    for start in range(0, n_cols, BLOCK):
        idx = start + cols
        x = tl.load(x_ptr + row * n_cols + idx, mask=idx < n_cols, other=-float("inf"))
        x = x.to(tl.float16)
        take = x > best
        best = tl.where(take, x, best)
        best_idx = tl.where(take, idx, best_idx)
    row_best = tl.max(best, axis=0)
    first = tl.min(tl.where(best == row_best, best_idx, n_cols), axis=0)
    tl.store(y_ptr + row, first.to(tl.int64))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n_rows, n_cols = x.shape
        y = torch.empty(n_rows, dtype=torch.int64, device=x.device)
        argmax_kernel[(n_rows,)](x, y, n_cols, BLOCK=1024)
        return y
