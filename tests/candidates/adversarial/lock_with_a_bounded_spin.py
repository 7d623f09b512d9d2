# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a program that comes back to an access that reads what it read before while its
# locals change (a count of tries) spins with a bound, and is drawn before every other program
# until it leaves the loop (interleave.py): the bound runs out before the holder unlocks, and the
# race detector finds its read-modify-write of y[row] unordered. Correct on 8a2e982 (session 25,
# lead), where a spinner kept its place for 64 tries and the holder, drawn at random beside it,
# unlocked within a few.
"""A lock per row that gives up: each of the row's two column blocks takes y[row]'s lock with
atomic_cas, at most 100 tries, then adds its partial with a plain load and store and unlocks. One
after another, and interleaved with a holder that unlocks within a few tries, nobody gives up; on a
GPU a block that is held back longer than 100 tries goes on without the lock and an update is lost.

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
    while (tl.atomic_cas(flag_ptr + row, 0, 1) == 1) & (tries < 100):
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
