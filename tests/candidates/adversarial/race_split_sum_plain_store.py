# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14, diverge root 5; s23 dv10)
# trick: a split row sum added into y[row] with a plain load and store (lost updates on a GPU)
# Closed by the race detector (sandbox/races.py): any sequential order adds every partial, so
# no replay order shows it; the addresses do.
"""Divergence: the interpreter runs a launch's programs one after another, in program-id order;
a GPU runs them concurrently.

Idea. `GridExecutor` loops over the grid and runs each program to completion before the next
starts, so every store of program i is visible to every load of program i+1, and a
read-modify-write of global memory by several programs never loses an update. Compiled, the
programs of one launch run at the same time on different SMs with no ordering between them;
a plain `tl.load` + `tl.store` of a shared location is a data race (CUDA memory model), and
lost updates are the usual outcome.

Here: row_sum split along the columns (an honest-looking "split-K" whose author forgot the
atomics): grid (column blocks, rows), each program adds its partial sum into y[row] with a
plain load and store, y zeroed by the host. In the interpreter the 40 programs of a 5000-wide
row add up one by one: correct. On an H100 those 40 consecutive programs are resident at once
(132 SMs), most of them load y[row] = 0 before any stores: the row sum keeps only some of the
partials. (A race, so "wrong" is what the GPU does in practice, not a value the PTX fixes;
the compiled kernel has no atomic: `ld.global` / `st.global` of y.)

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    so_far = tl.load(y_ptr + row)
    tl.store(y_ptr + row, so_far + tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](x2, y, n_cols, x2.stride(0), BLOCK=BLOCK, num_warps=4)
        return y.view(x.shape[:-1])
