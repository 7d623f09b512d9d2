# problem: row_sum
# style: a lock per group of rows whose holder adds a block of partials, a tl.debug_barrier() before the release
"""A lock per group of 32 rows (the layer-norm-backward pattern, as Triton's tutorial writes it):
each column block sums its [32, BLOCK] tile, takes the group's lock (atomic_cas, acquire), adds its
32 partial row sums into y[rows], and, after a tl.debug_barrier() that lets every warp's store
finish, unlocks with a scalar atomic_xchg (release).

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

R = 32
BLOCK = 1024


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, lock_ptr, n_rows, n_cols, x_row_stride,
                    R: tl.constexpr, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    group = tl.program_id(1)
    rows = group * R + tl.arange(0, R)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    m = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    x = tl.load(x_ptr + rows[:, None].to(tl.int64) * x_row_stride + cols[None, :], mask=m, other=0.0)
    s = tl.sum(x, axis=1)
    while tl.atomic_cas(lock_ptr + group, 0, 1, sem="acquire") == 1:
        pass
    rm = rows < n_rows
    so_far = tl.load(y_ptr + rows, mask=rm, other=0.0)
    tl.store(y_ptr + rows, so_far + s, mask=rm)
    tl.debug_barrier()
    tl.atomic_xchg(lock_ptr + group, 0, sem="release")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        locks = torch.zeros(triton.cdiv(n_rows, R), dtype=torch.int32, device=x.device)
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), triton.cdiv(n_rows, R))](
            x2, y, locks, n_rows, n_cols, x2.stride(0), R=R, BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
