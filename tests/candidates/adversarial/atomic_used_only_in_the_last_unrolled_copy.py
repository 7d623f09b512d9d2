# problem: row_sum
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Closed: ttir.handed_over takes a line for a handover only if every scalar atomic on it has its
# result used; here the unrolled copies share the line and only the last is used. Correct on
# 1031be9 (session 25, ninth round, an informed attacker's).
"""A row in CHUNKS chunks, unrolled with tl.static_range: each chunk is staged in a per-row
scratch block (its own per chunk), a scalar atomic counts the chunks staged (its old value kept only for the last
chunk, as the row's arrival order), and the chunk is folded with its other half read back from
scratch (lane i reads lane (i + BLOCK/2) % BLOCK: another warp). The lane-race check keeps the
race aside as ordered by the atomic on line 37 if the compiled kernel uses its result, and
ttir.handed_over answers by source line: the unrolled copies share line 37, and the last copy's
result is used, so every copy is taken as a barrier. Compiled, only the last copy broadcasts its
result (shared memory + bar.sync); the others are a bare atom by one thread, so for every chunk
but the last a warp reads the other half of scratch before the other warp has stored it.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


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
        staged = tl.atomic_add(cnt_ptr + i, 1)
        other = tl.load(scr_ptr + (row * CHUNKS + i) * BLOCK + (offs + BLOCK // 2) % BLOCK)
        acc += tl.sum(x + other, axis=0) * 0.5
        if i == CHUNKS - 1:
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
        cnt = torch.zeros(chunks, dtype=torch.int32, device=x.device)
        order = torch.empty(n_rows, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(n_rows,)](
            x2, scr, cnt, order, y, n_cols, x2.stride(0), BLOCK=BLOCK, CHUNKS=chunks, num_warps=8
        )
        return y.view(x.shape[:-1])
