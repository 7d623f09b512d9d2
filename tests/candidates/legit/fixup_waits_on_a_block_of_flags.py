# problem: row_sum
# style: a stream-K style fix-up that waits with one block acquire of every part's flag and tl.min
"""LEGIT (false-reject probe): a row split in P parts. Parts 0..P-2 store their partial sum to a
workspace slot and raise a flag per slot with sem="release" (a scalar store and a scalar
release: one thread). The last part polls all earlier flags at once with a block acquire (lane p
reads flag p; the min over lanes needs a barrier in the compiled reduction), then sums the slots with one block load and writes y. Every slot is ordered before the load by
its own release/acquire pair.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, ws_ptr, flag_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr, P: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    s = tl.sum(x, axis=0)
    if part < P - 1:
        tl.store(ws_ptr + row * P + part, s)
        tl.atomic_xchg(flag_ptr + row * P + part, 1, sem="release")
    else:
        q = tl.arange(0, P)
        up = q < P - 1
        seen = tl.atomic_add(flag_ptr + row * P + q, 0, mask=up, sem="acquire")
        while tl.min(tl.where(up, seen, 1), axis=0) == 0:
            seen = tl.atomic_add(flag_ptr + row * P + q, 0, mask=up, sem="acquire")
        prev = tl.load(ws_ptr + row * P + q, mask=q < P - 1, other=0.0)
        tl.store(y_ptr + row, s + tl.sum(prev, axis=0))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        P = 4
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        ws = torch.zeros(n_rows * P, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows * P, dtype=torch.int32, device=x.device)
        block = triton.next_power_of_2(triton.cdiv(n_cols, P))
        _row_sum_kernel[(P, n_rows)](
            x2, y, ws, flag, n_cols, x2.stride(0), BLOCK=block, P=P, num_warps=4
        )
        return y.view(x.shape[:-1])
