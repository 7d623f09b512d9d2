# problem: row_sum
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Refused since session 28: two atomics of different lanes at one address are kept aside
# (lane_races.py) and refused once the compiled kernel shows the result of either used
# (ttir.returned); open since session 25 (atomics among themselves were taken for ordered).
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
