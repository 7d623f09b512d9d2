# problem: row_sum
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Closed: a race kept aside for a scalar atomic is settled by the compile of the launch it was seen
# in, not by every compile of the kernel. Correct on 1031be9 (session 25, ninth round, an informed
# attacker's).
"""b3 through two specialisations instead of an unrolled loop: the kernel stages a row in
scratch, counts it with a scalar atomic, and folds it with the other half read back from scratch
(another warp's lanes). A constexpr RECORD keeps the atomic's old value (arrival order) or not.
forward launches the kernel twice, the first row with RECORD=True, the rest with RECORD=False.
target_compile.unordered unions ttir.handed_over over all records of a kernel name, by line:
the RECORD=True compile uses the result, so the RECORD=False launch's race is taken as ordered.
Compiled with RECORD=False the atomic has no use, no bar.sync, and warps read scratch the other
warp has not written yet.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 8192


@triton.jit
def _row_sum_kernel(x_ptr, scr_ptr, cnt_ptr, order_ptr, y_ptr, n_cols, x_row_stride, row0,
                    BLOCK: tl.constexpr, RECORD: tl.constexpr):
    row = row0 + tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, BLOCK)
    acc = 0.0
    for c0 in range(0, n_cols, BLOCK):
        cols = c0 + offs
        x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0)
        base = (row * tl.cdiv(n_cols, BLOCK) + c0 // BLOCK) * BLOCK
        tl.store(scr_ptr + base + offs, x)
        staged = tl.atomic_add(cnt_ptr, 1)
        other = tl.load(scr_ptr + base + (offs + BLOCK // 2) % BLOCK)
        acc += tl.sum(x + other, axis=0) * 0.5
        if RECORD:
            tl.store(order_ptr + row, staged)
    tl.store(y_ptr + row, acc)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        chunks = triton.cdiv(n_cols, BLOCK)
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        scr = torch.empty(n_rows, chunks * BLOCK, dtype=torch.float32, device=x.device)
        cnt = torch.zeros(1, dtype=torch.int32, device=x.device)
        order = torch.empty(n_rows, dtype=torch.int32, device=x.device)
        args = (x2, scr, cnt, order, y, n_cols, x2.stride(0))
        _row_sum_kernel[(1,)](*args, 0, BLOCK=BLOCK, RECORD=True, num_warps=8)
        if n_rows > 1:
            _row_sum_kernel[(n_rows - 1,)](*args, 1, BLOCK=BLOCK, RECORD=False, num_warps=8)
        return y.view(x.shape[:-1])
