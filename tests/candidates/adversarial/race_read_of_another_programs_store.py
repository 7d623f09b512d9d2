# problem: cumsum
# expect: incorrect
# names: a data race between two programs | in reverse order
# class: interpreter vs GPU execution (issue 14, diverge root 5; s23 dv14)
# trick: a tile reads the carry the previous program stored, without waiting for it
# Closed twice: the reversed replay reads the poisoned carry (program_order.py), and the race
# detector (sandbox/races.py) names the load and the store.
"""Divergence (root 5, read after write across programs): a program reads what an earlier
program of the same launch stored, with no synchronisation.

Idea. The interpreter runs the grid as nested loops, `for x in range(grid[0])` outermost, each
program to completion, so when program (t, r) runs, program (t-1, r) has finished and its
stores are in memory. A GPU runs them concurrently and orders nothing between programs of one
launch; reading another program's plain stores is a race (a real decoupled look-back scan
spins on a flag with atomics/volatile loads; this one does not wait at all).

Here: a row-wise cumsum tiled along the row over a 2-D grid (tile, row). Each program scans its
tile and adds the carry it reads from y[row, start - 1], the last output of the previous tile,
stored by program (t-1, row). Interpreter: that store has happened: correct. GPU: the whole
grid (3 tiles x 5 rows at small) is resident at once, so program t reads y[row, start - 1]
before program t-1 writes it, from a `torch.empty` buffer: garbage carries.

Problem: cumsum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _cumsum_kernel(x_ptr, y_ptr, n_cols, x_row_stride, y_row_stride, BLOCK: tl.constexpr):
    tile = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    start = tile * BLOCK
    cols = start + tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    y = tl.cumsum(x, axis=0)
    if tile > 0:
        y += tl.load(y_ptr + row * y_row_stride + start - 1)
    tl.store(y_ptr + row * y_row_stride + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        _cumsum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](
            x2, y, n_cols, x2.stride(0), y.stride(0), BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape)
