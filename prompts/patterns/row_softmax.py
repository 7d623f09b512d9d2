"""Pattern: row reduction with online softmax (any row length, two passes over the row).

Reference: y = torch.softmax(x, dim=-1), x [n_rows, n_cols]. One program per row.
Pass 1 streams the row in BLOCK chunks, keeping the running max m and the running sum l
rescaled by exp(m_old - m_new); pass 2 writes exp(x - m) / l. Masked lanes load -inf so
they add exp(-inf) = 0. The same loop with tl.sum gives sum/mean/norm reductions.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_cols, stride_x, stride_y, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * stride_x
    y_row = y_ptr + row * stride_y
    cols = tl.arange(0, BLOCK)
    m = tl.full([], -float("inf"), tl.float32)
    l = tl.zeros([], tl.float32)  # noqa: E741
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        x = tl.load(x_row + start + cols, mask=mask, other=-float("inf")).to(tl.float32)
        m_new = tl.maximum(m, tl.max(x, axis=0))  # finite: every chunk has a valid lane
        l = l * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)  # noqa: E741
        m = m_new
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        x = tl.load(x_row + start + cols, mask=mask, other=-float("inf")).to(tl.float32)
        y = tl.exp(x - m) / l
        tl.store(y_row + start + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.reshape(-1, x.shape[-1])
        if x2.stride(-1) != 1:
            x2 = x2.contiguous()
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        BLOCK = min(triton.next_power_of_2(n_cols), 4096)
        softmax_kernel[(n_rows,)](
            x2,
            y,
            n_cols,
            x2.stride(0),
            y.stride(0),
            BLOCK=BLOCK,
            num_warps=4 if BLOCK <= 1024 else 8,
        )
        return y.view(x.shape)
