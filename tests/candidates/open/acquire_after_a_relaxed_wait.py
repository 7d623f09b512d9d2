# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 25, tenth round). Half 1 waits on a flag half 0
# raises with a relaxed write after its release of the data flag, then acquires the data flag once
# without testing what it read. The interleaver runs each program's writes in order, so the acquire
# always reads the release and races.py links the two; on a GPU the relaxed write may be seen first
# and the acquire read 0. The rule that would close it: an acquire orders only where its result is
# checked (it waits, or guards what follows), settled by the compiled IR like the handovers. On a
# GPU the compiled kernel is what runs.
"""Each row's columns split in two halves (two programs). Half 0 stores its partial sum to a
workspace, raises a data flag with sem="release", then a "done" flag with a relaxed atomic.
Half 1 waits on the done flag (acquire), then makes one acquire on the data flag without
looking at what it read, and adds the workspace. On a GPU the relaxed done flag can be seen
before the release of the data flag (a release orders what comes before it, not after):
half 1's acquire on the data flag may read 0, synchronises with nothing, and the workspace
load races. In the replay half 1's acquire comes after half 0's release in time, so it is
linked to it (races._HappensBefore.edges), whatever it read.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, ws_ptr, data_ptr, done_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    s = tl.sum(x, axis=0)
    if part == 0:
        tl.store(ws_ptr + row, s)
        tl.atomic_xchg(data_ptr + row, 1, sem="release")
        tl.atomic_xchg(done_ptr + row, 1, sem="relaxed")
    else:
        while tl.atomic_add(done_ptr + row, 0, sem="acquire") == 0:
            pass
        tl.atomic_add(data_ptr + row, 0, sem="acquire")
        other = tl.load(ws_ptr + row)
        tl.store(y_ptr + row, s + other)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        ws = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        data = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        done = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        block = triton.next_power_of_2(triton.cdiv(n_cols, 2))
        _row_sum_kernel[(2, n_rows)](
            x2, y, ws, data, done, n_cols, x2.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape[:-1])
