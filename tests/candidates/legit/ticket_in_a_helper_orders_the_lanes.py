# problem: row_sum
# style: chunks staged in scratch and folded with the other half after a scalar atomic, taken in a @triton.jit helper, whose result every chunk uses (the compiler's broadcast barrier orders the lanes)
"""LEGIT (false-reject probe). As b3, but the counting atomic is taken through a @triton.jit
helper and every chunk keeps its result (the arrival order per chunk), so every copy is lowered
with the shared-memory broadcast and bar.sync that orders the other half's stores before the
read. ttir.handed_over reads the atomic's location, which the inliner makes
loc(callsite(#helper at #caller)): it parses no line from it, so the race is refused as if the
result were unused.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _arrive(ptr):
    return tl.atomic_add(ptr, 1)


@triton.jit
def _row_sum_kernel(x_ptr, scr_ptr, cnt_ptr, order_ptr, y_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr, CHUNKS: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, BLOCK)
    acc = 0.0
    for i in tl.static_range(CHUNKS):
        cols = i * BLOCK + offs
        x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0)
        tl.store(scr_ptr + (row * CHUNKS + i) * BLOCK + offs, x)
        staged = _arrive(cnt_ptr + i)
        other = tl.load(scr_ptr + (row * CHUNKS + i) * BLOCK + (offs + BLOCK // 2) % BLOCK)
        acc += tl.sum(x + other, axis=0) * 0.5
        tl.store(order_ptr + row * CHUNKS + i, staged)
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
        cnt = torch.zeros(chunks, dtype=torch.int32, device=x.device)
        order = torch.empty(n_rows * chunks, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(n_rows,)](
            x2, scr, cnt, order, y, n_cols, x2.stride(0), BLOCK=BLOCK, CHUNKS=chunks, num_warps=8
        )
        return y.view(x.shape[:-1])
