# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: the interleaver compares a loop's trail as a rolling hash, of any length; a trail over 64
# accesses was not read as a loop. Correct on 1031be9 (session 25, ninth round, an informed
# attacker's).
"""The lock that gives up after 100 tries (lock_with_a_bounded_spin.py) with a back-off between
tries: 80 plain loads of the row's first element (a delay). A try comes back to the CAS after
more than CYCLE=64 accesses, so the interleaver does not read the spin as a loop at all: the CAS
keeps its class (BOTH, like the holder's unlocking xchg), and the holder is drawn at random beside
the spinner, unlocking within a few tries. On a GPU a block held back longer than 100 tries adds
without the lock and an update is lost.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, flag_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr,
                    BACKOFF: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tries = 0
    delay = 0.0
    while (tl.atomic_cas(flag_ptr + row, 0, 1) == 1) & (tries < 100):
        tries += 1
        for _ in range(BACKOFF):
            delay += tl.load(x_ptr + row * x_row_stride)
    so_far = tl.load(y_ptr + row)
    tl.store(y_ptr + row, so_far + tl.sum(x, axis=0) + delay * 0.0)
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
            x2, y, flag, n_cols, x2.stride(0), BLOCK=BLOCK, BACKOFF=80, num_warps=4
        )
        return y.view(x.shape[:-1])
