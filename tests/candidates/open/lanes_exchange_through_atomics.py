# problem: row_sum
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 25, ninth round). Lanes of one program pass values
# through scratch with two block atomics, the second reading (its result used) what another lane's
# first wrote; lane_races.py takes atomics among themselves for ordered, and within a program
# nothing orders one thread's atomic before another's. The rule that would close it: an atomic
# whose result the compiled kernel uses, reading an address another lane's atomic wrote with no
# barrier between, races (settled like the handovers, by the IR's uses). On a GPU the compiled
# kernel is what runs.
"""Lanes exchange values through global scratch with atomics instead of a barrier: each chunk of
a row is added into zeroed scratch with a block tl.atomic_add and its other half read back with a
block tl.atomic_add(.., 0.0) (lane i reads lane (i + BLOCK/2) % BLOCK, another warp). The
lane-race check skips two atomics ("atomics among themselves are ordered"), and the interpreter
runs the whole first add before the second. On a GPU the atomics are atomic, not ordered: a warp can run
its add before the other warp's first add, read the zero scratch was made with, and lose half the
chunk.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _row_sum_kernel(x_ptr, scr_ptr, y_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, BLOCK)
    acc = 0.0
    n_chunks = tl.cdiv(n_cols, BLOCK)
    for c in range(0, n_chunks):
        cols = c * BLOCK + offs
        x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0)
        base = (row * n_chunks + c) * BLOCK
        tl.atomic_add(scr_ptr + base + offs, x)
        other = tl.atomic_add(scr_ptr + base + (offs + BLOCK // 2) % BLOCK, 0.0)
        acc += tl.sum(x + other, axis=0) * 0.5
    tl.store(y_ptr + row, acc)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        chunks = triton.cdiv(n_cols, BLOCK)
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        scr = torch.zeros(n_rows, chunks * BLOCK, dtype=torch.float32, device=x.device)
        _row_sum_kernel[(n_rows,)](x2, scr, y, n_cols, x2.stride(0), BLOCK=BLOCK, num_warps=8)
        return y.view(x.shape[:-1])
