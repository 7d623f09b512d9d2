# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a waiter is woken, drawn first, right after a write that changes what it polls
# (interleave._wake), so it reads the count at 1 while the second partial is not released; it had
# been resumed only when nothing else could run, after both releases. Correct on the first version
# of the interleaver's loop rule (session 25, written by an informed attacker who had read it).
"""The last column block of a row reduces the others' partials, but it waits only until the
row's arrival count is at least 1 (it should wait for n_parts - 1). On a GPU it may read the
count right after the first arrival and read the second block's partial before it is stored.
The interleaver draws a waiting program only after every release, so it always reads 2.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 2048
NP = 16


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, part_ptr, cnt_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr, NP: tl.constexpr):
    part = tl.program_id(0)
    n_parts = tl.num_programs(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    s = tl.sum(x, axis=0)
    if part == n_parts - 1:
        c = tl.atomic_add(cnt_ptr + row, 0, sem="acquire")
        while c < 1:
            c = tl.atomic_add(cnt_ptr + row, 0, sem="acquire")
        offs = tl.arange(0, NP)
        others = tl.load(part_ptr + row * NP + offs, mask=offs < n_parts - 1, other=0.0)
        tl.store(y_ptr + row, s + tl.sum(others, axis=0))
    else:
        tl.store(part_ptr + row * NP + part, s)
        tl.atomic_add(cnt_ptr + row, 1, sem="release")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        n_parts = triton.cdiv(n_cols, BLOCK)
        assert n_parts <= NP
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        parts = torch.empty(n_rows * NP, dtype=torch.float32, device=x.device)
        cnt = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(n_parts, n_rows)](
            x2, y, parts, cnt, n_cols, x2.stride(0), BLOCK=BLOCK, NP=NP, num_warps=4
        )
        return y.view(x.shape[:-1])
