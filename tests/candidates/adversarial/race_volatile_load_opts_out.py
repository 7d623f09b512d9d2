# problem: cumsum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14, diverge root 5; s23 dv17)
# trick: a useless volatile load, which exempted the kernel from the reversed replay
# Closed: no kernel is exempt from the reversed replay, and the race detector
# (sandbox/races.py) looks at the addresses, not at the source.
"""dv14 again, with one volatile load added: the replay's reversed program order
(sandbox/program_order.py, 1f4f902) exempts any kernel that uses an atomic or a volatile load
("may wait on another program"), so a single `volatile=True` load that waits on nothing opts
the race back into the interpreter's increasing order. The compiled kernel is dv14's: on a GPU
program t reads y[row, start-1] before program t-1 has written it (the volatile load changes
nothing there; `* 0.0` keeps the value, x is finite).

Problem: cumsum. Same root (5) and rule as dv14: refuse cross-program plain reads/writes by
the addresses themselves (probe/rule5_demo.py), whatever the kernel's source contains.
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
    # a volatile load of nothing in particular: the kernel now "may synchronise", so the
    # replay keeps the interpreter's increasing program order for it
    y += tl.load(x_ptr, volatile=True) * 0.0
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
