# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 25, ninth round). The lock gives up after 2,000
# tries; the interleaver runs a spinner alone for at most BOUNDED_TRIES (1,000) tries, then takes
# it for a wait, so the bound never runs out. The rule that would close it: tell a bounded spin
# from a wait by what the loop's exit depends on (the polled value alone, or a count too: data flow
# in the kernel's IR), not by how long it spins. On a GPU the compiled kernel is what runs.
"""A lock per row that gives up after 2000 tries (tests/candidates/adversarial/
lock_with_a_bounded_spin.py with a larger bound), up to four column blocks contending per row. The
interleaver lets a spin run alone for BOUNDED_TRIES=1000 tries and then takes it for a wait, so the
bound of 2000 never runs out on the CPU. On a GPU a block queued behind three holders of the row's
lock (each critical section a load, add, store and an unlock) can spin past 2000 tries, then adds
without the lock and an update is lost.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, flag_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tries = 0
    while (tl.atomic_cas(flag_ptr + row, 0, 1) == 1) & (tries < 2000):
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
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](
            x2, y, flag, n_cols, x2.stride(0), BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
