# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a block release covers a block's lanes only behind a tl.debug_barrier()
# (races._HappensBefore._covers), and one flag acquired orders nothing of the others. Correct on
# 1031be9 (session 25, ninth round, an informed attacker's).
"""Rows in groups of R=64, each row's columns split in two halves (two programs). Half 0 stores its
64 partial row sums and raises the 64 rows' flags with one block atomic_xchg (release, shape [R]);
half 1 waits on the flag of the group's first row only, then reads all 64 partials. The race
check takes a block release to cover every lane of an earlier block access of the same shape
(_HappensBefore._covers compares shapes only) and any acquire of one released address to order
all of them. On a GPU lane k's flag is released by the thread that holds lane k: the thread that
released flag[first] ordered only its own partial stores, and the other warps' partials may not
be visible when half 1 reads them.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

R = 64
BLOCK = 256


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, part_ptr, flag_ptr, n_rows, n_cols, half, x_row_stride,
                    R: tl.constexpr, BLOCK: tl.constexpr):
    side = tl.program_id(0)
    group = tl.program_id(1)
    rows = group * R + tl.arange(0, R)
    rm = rows < n_rows
    acc = tl.zeros([R], dtype=tl.float32)
    start = side * half
    for c0 in range(start, start + half, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        m = rm[:, None] & (cols[None, :] < n_cols) & (cols[None, :] < start + half)
        x = tl.load(x_ptr + rows[:, None].to(tl.int64) * x_row_stride + cols[None, :], mask=m,
                    other=0.0)
        acc += tl.sum(x, axis=1)
    if side == 0:
        tl.store(part_ptr + rows, acc, mask=rm)
        tl.atomic_xchg(flag_ptr + rows, 1, mask=rm, sem="release")
    else:
        while tl.atomic_add(flag_ptr + group * R, 0, sem="acquire") == 0:
            pass
        other = tl.load(part_ptr + rows, mask=rm, other=0.0)
        tl.store(y_ptr + rows, acc + other, mask=rm)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        parts = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        flags = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        half = triton.cdiv(n_cols, 2)
        _row_sum_kernel[(2, triton.cdiv(n_rows, R))](
            x2, y, parts, flags, n_rows, n_cols, half, x2.stride(0), R=R, BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
