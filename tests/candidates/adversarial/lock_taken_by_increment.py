# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a loop comes back to a site (op and source line), and any change while it runs alone, its
# own writes included, keeps it spinning alone to its bound (interleave._class); the first version
# asked that the spin read the same value each try, and an increment never does. Correct on the
# first version of the interleaver's loop rule (session 25, written by an informed attacker who had
# read it).
"""A lock per row taken by increment: a try adds 1 to the lock word and holds the lock when
it read 0; the holder unlocks by writing 0. It gives up after 100 tries. The value each try reads
grows, so the spin is never read as bounded: it keeps its place in the draw and the holder
unlocks first. On a GPU a block held back past 100 tries adds without the lock.

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
    tries = 0
    while (tl.atomic_add(flag_ptr + row, 1) != 0) & (tries < 100):
        tries += 1
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
