# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: a waiter is woken right after the first write that changes its flag (interleave._wake),
# so it reads phase 1 and then the second partial before its release. Correct on the first version
# of the interleaver's loop rule (session 25, written by an informed attacker who had read it).
"""Two phases on one flag: block 0 of a row stores a first partial and raises the row's flag to 1,
then stores the second partial and raises it to 2 (both release). Block 1 waits only until the flag
is nonzero (it should wait for 2) and reads the second partial. On a GPU it may read the flag at 1
and the second partial before it is stored. The interleaver resumes a waiting program only when no
other can run, so block 0 always reaches 2 first.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, part_ptr, flag_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    half: tl.constexpr = BLOCK // 2
    if part == 0:
        c0 = tl.arange(0, half)
        a = tl.load(x_ptr + row * x_row_stride + c0, mask=c0 < n_cols, other=0.0)
        tl.store(part_ptr + row * 2, tl.sum(a, axis=0))
        tl.atomic_xchg(flag_ptr + row, 1, sem="release")
        c1 = half + tl.arange(0, half)
        b = tl.load(x_ptr + row * x_row_stride + c1, mask=c1 < n_cols, other=0.0)
        tl.store(part_ptr + row * 2 + 1, tl.sum(b, axis=0))
        tl.atomic_xchg(flag_ptr + row, 2, sem="release")
    else:
        cols = BLOCK + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0)
        while tl.atomic_add(flag_ptr + row, 0, sem="acquire") == 0:
            pass
        p0 = tl.load(part_ptr + row * 2)
        p1 = tl.load(part_ptr + row * 2 + 1)
        tl.store(y_ptr + row, tl.sum(x, axis=0) + p0 + p1)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        block = triton.next_power_of_2(triton.cdiv(n_cols, 2))
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        parts = torch.empty(n_rows * 2, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(2, n_rows)](
            x2, y, parts, flag, n_cols, x2.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape[:-1])
