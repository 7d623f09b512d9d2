# problem: row_sum
# style: the last column block waits for the first two blocks' flags, polled with acquires in one loop
"""LEGIT: the last column block of a row waits for the first two blocks' flags, polled in one
loop (atomic_add 0, acquire), then reduces their partials; the others store a partial and raise
their own flag (release). Always 3 blocks per row.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

NP = 16


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, part_ptr, cnt_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr, NP: tl.constexpr):
    part = tl.program_id(0)
    n_parts = tl.num_programs(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    s = tl.sum(x, axis=0)
    if part == n_parts - 1:
        while (tl.atomic_add(cnt_ptr + row * NP, 0, sem="acquire") == 0) | (
            tl.atomic_add(cnt_ptr + row * NP + 1, 0, sem="acquire") == 0
        ):
            pass
        offs = tl.arange(0, NP)
        others = tl.load(part_ptr + row * NP + offs, mask=offs < n_parts - 1, other=0.0)
        tl.store(y_ptr + row, s + tl.sum(others, axis=0))
    else:
        tl.store(part_ptr + row * NP + part, s)
        tl.atomic_xchg(cnt_ptr + row * NP + part, 1, sem="release")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        n_parts = 3
        block = triton.next_power_of_2(triton.cdiv(n_cols, 3))
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        parts = torch.empty(n_rows * NP, dtype=torch.float32, device=x.device)
        cnt = torch.zeros(n_rows * NP, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(n_parts, n_rows)](
            x2, y, parts, cnt, n_cols, x2.stride(0), BLOCK=block, NP=NP, num_warps=4
        )
        return y.view(x.shape[:-1])
