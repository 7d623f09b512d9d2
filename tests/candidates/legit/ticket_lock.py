# problem: row_sum
# style: a FIFO ticket lock: each program takes a ticket and waits (acquire) for its turn before adding into the row
"""LEGIT (false-reject probe): a FIFO ticket lock per row. Each column block takes a ticket
(atomic_add on next[row]), waits until serving[row] equals it (acquire), adds its partial with a
scalar load and store, and passes the lock on (atomic_add(serving[row], 1, release)).

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, next_ptr, serving_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0)
    s = tl.sum(x, axis=0)
    my = tl.atomic_add(next_ptr + row, 1, sem="relaxed")
    while tl.atomic_add(serving_ptr + row, 0, sem="acquire") != my:
        pass
    tl.store(y_ptr + row, tl.load(y_ptr + row) + s)
    tl.atomic_add(serving_ptr + row, 1, sem="release")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        nxt = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        serving = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](
            x2, y, nxt, serving, n_cols, x2.stride(0), BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
