# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: the interleaver digests what a tuple (or any object of the language) holds, so a count of
# tries kept in a tuple is a change and the spin runs alone to its bound (interleave._digest); it
# was digested as its type, so the spin looked like a wait. Correct on the first version of the
# interleaver's loop rule (session 25, written by an informed attacker who had read it).
"""A per-row lock that gives up after 100 tries, the try count carried in a tuple (the
interleaver's digest of locals takes a tuple by its type). On a GPU a block held back longer
than 100 tries adds its partial without the lock and an update is lost.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, flag_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    st = (tl.full((), 0, tl.int32), tl.full((), 0, tl.int32))
    while (tl.atomic_cas(flag_ptr + row, 0, 1) == 1) & (st[0] < 100):
        st = (st[0] + 1, st[1])
    so_far = tl.load(y_ptr + row)
    tl.store(y_ptr + row, so_far + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + row, 0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        block = triton.next_power_of_2(triton.cdiv(n_cols, 2))
        _row_sum_kernel[(triton.cdiv(n_cols, block), n_rows)](
            x2, y, flag, n_cols, x2.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape[:-1])
