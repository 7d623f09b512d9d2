# problem: row_sum
# style: a per-row spin lock (atomic_cas acquire, atomic_xchg release) whose spin doubles a backoff up to a cap
"""LEGIT: a per-row spin lock (atomic_cas acquire / atomic_xchg release, no bound) with a capped
exponential backoff kept in a local. Correct on a GPU.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, flag_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    backoff = 1
    while tl.atomic_cas(flag_ptr + row, 0, 1, sem="acquire") == 1:
        backoff = tl.minimum(backoff * 2, 256)
    so_far = tl.load(y_ptr + row)
    tl.store(y_ptr + row, so_far + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + row, 0, sem="release")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        block = triton.next_power_of_2(triton.cdiv(n_cols, 2))
        _row_sum_kernel[(triton.cdiv(n_cols, block), n_rows)](
            x2, y, flag, n_cols, x2.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape[:-1])
