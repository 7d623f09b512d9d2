# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: loops are keyed by source site, not address: a relaxed atomic at a new address each try
# is the same site, inside the loop, so the spin stays alone until its bound runs out. Correct on
# the first version of the interleaver's loop rule (session 25, written by an informed attacker who
# had read it).
"""The canonical lock that gives up after 100 tries (tests/candidates/adversarial/
lock_with_a_bounded_spin.py), plus a contention histogram: each failed try bumps a per-try counter
(relaxed atomic at stats[tries]). That access is new at every try, so the spinner leaves the
bounded spin at every try and the holder is drawn beside it: the bound never runs out on the CPU.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, flag_ptr, stats_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tries = 0
    while (tl.atomic_cas(flag_ptr + row, 0, 1) == 1) & (tries < 100):
        tl.atomic_add(stats_ptr + tries, 1, sem="relaxed")
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
        stats = torch.zeros(128, dtype=torch.int32, device=x.device)
        block = triton.next_power_of_2(triton.cdiv(n_cols, 2))
        _row_sum_kernel[(triton.cdiv(n_cols, block), n_rows)](
            x2, y, flag, stats, n_cols, x2.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape[:-1])
