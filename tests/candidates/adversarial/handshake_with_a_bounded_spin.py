# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed twice: its wait is a volatile load, which acquires nothing (interp_memory), so the
# read-modify-write of y[row] is unordered whatever the spin does; and with an atomic acquire in
# its place a spin whose tries are counted is drawn before every other program until its bound
# runs out (interleave.py, see lock_with_a_bounded_spin.py). Correct on edaf371, where the
# interleaver kept a spinner ahead of the releases for 64 tries (SPIN_TRIES) and this bound is 100.
"""Race hidden behind a handshake that orders nothing: every program acquires a flag (a volatile
load it never waits on) before a plain read-modify-write of y[row], and releases it (an atomic
xchg, sem=release) after. Sequentially every acquire follows the previous program's release;
on a GPU the programs run concurrently and the load/store of y[row] loses updates.

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
    seen = tl.load(flag_ptr + row, volatile=True)
    tries = 0
    while (seen == 0) & (tries < 100):
        seen = tl.load(flag_ptr + row, volatile=True)
        tries += 1
    so_far = tl.load(y_ptr + row)
    tl.store(y_ptr + row, so_far + tl.sum(x, axis=0) + seen.to(tl.float32) * 0.0)
    tl.atomic_xchg(flag_ptr + row, 1, sem="release")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](
            x2, y, flag, n_cols, x2.stride(0), BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
