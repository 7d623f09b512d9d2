# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a release orders a block's other lanes only behind a tl.debug_barrier() between them
# (races._HappensBefore._covers): one thread makes a scalar atomic, while the other warps' stores
# may be in flight (Triton PR 6307, tritonbench PR 1266). The race names the release and says to
# put the barrier before it. Correct on 8a2e982 and before, where a program's release covered all
# of its lanes (session 25, written by an informed attacker).
"""A lock per group of 32 rows, no bound on the spin (the layer-norm-backward pattern): each column
block sums its [32, BLOCK] tile, takes the group's lock (atomic_cas, acquire), adds its 32 partial
row sums into y[rows] with a plain load and store, and unlocks with a scalar atomic_xchg. On a GPU
the scalar atomic is executed by one thread and orders only that thread's own earlier stores; the
vector store of y[rows] is spread over the program's warps, and nothing (no tl.debug_barrier)
makes them finish before the unlock, so the next holder can load stale y values (triton PR 6307,
tritonbench PR 1266). The checker takes a program's release to cover all of its lanes.

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
