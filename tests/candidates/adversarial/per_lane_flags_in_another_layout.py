# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a block release covers a block's lanes only behind a tl.debug_barrier(): the compiler
# lays a float64 store two lanes to a thread and an atomic one, so lane i's flag is another
# thread's. Correct on 1031be9 (session 25, ninth round, an informed attacker's).
"""Per-row flags, each lane acquiring the flag of the row it reads: rows in groups of R=1024,
each row's columns in two halves (two programs). Half 0 stores its partial row sums in float64
and raises the rows' int32 flags with one block atomic_xchg (release, shape [R]); half 1 polls
the same [R] flags with a block acquire until all are raised and reads the float64 partials.
Lane by lane this is the textbook handshake, and the race check takes a release block of the
partials' shape to cover them. Compiled (TTGIR, sm_90, num_warps=4), the float64 store gets
sizePerThread=2 and the int32 atomic sizePerThread=1 (atomics are never vectorised; a float32
store would get 4): lane 300's partial is stored by thread 22 (warp 0) and its flag released by
thread 44 (warp 1), whose release orders only its own stores.
Half 1 can see flag 300 raised and read a partial that warp 0 of half 0 has not made visible.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

R = 1024
BLOCK = 16


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, part_ptr, flag_ptr, n_rows, n_cols, half, x_row_stride,
                    R: tl.constexpr, BLOCK: tl.constexpr):
    side = tl.program_id(0)
    group = tl.program_id(1)
    rows = group * R + tl.arange(0, R)
    rm = rows < n_rows
    acc = tl.zeros([R], dtype=tl.float64)
    start = side * half
    for c0 in range(start, start + half, BLOCK):
        cols = c0 + tl.arange(0, BLOCK)
        m = rm[:, None] & (cols[None, :] < n_cols) & (cols[None, :] < start + half)
        x = tl.load(x_ptr + rows[:, None].to(tl.int64) * x_row_stride + cols[None, :], mask=m,
                    other=0.0)
        acc += tl.sum(x.to(tl.float64), axis=1)
    if side == 0:
        tl.store(part_ptr + rows, acc, mask=rm)
        tl.atomic_xchg(flag_ptr + rows, 1, mask=rm, sem="release")
    else:
        ready = tl.atomic_add(flag_ptr + rows, 0, mask=rm, sem="acquire")
        while tl.min(tl.where(rm, ready, 1), axis=0) == 0:
            ready = tl.atomic_add(flag_ptr + rows, 0, mask=rm, sem="acquire")
        other = tl.load(part_ptr + rows, mask=rm, other=0.0)
        tl.store(y_ptr + rows, (acc + other).to(tl.float32), mask=rm)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        parts = torch.empty(n_rows, dtype=torch.float64, device=x.device)
        flags = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        half = triton.cdiv(n_cols, 2)
        _row_sum_kernel[(2, triton.cdiv(n_rows, R))](
            x2, y, parts, flags, n_rows, n_cols, half, x2.stride(0), R=R, BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
