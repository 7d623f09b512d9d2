# expect: incorrect
# The bundled softmax with a bug only in its wide-row path (rows over MAX_TILE stream through
# tiles): the running sum is not rescaled when the running max grows. Declared sizes never
# reach that path on the CPU; the held-out shape stretches the row past the tile cap.
import torch
import torch.nn as nn
import triton
import triton.language as tl

# Rows up to this width are held in registers as one tile (one read, one write);
# wider rows stream through in tiles of this width (online max and sum, then a second read).
MAX_TILE = 8192


def _num_warps(block):
    return 16 if block >= 8192 else 8 if block >= 2048 else 4


@triton.jit
def _softmax_kernel(
    x_ptr, y_ptr, n_cols, x_row_stride, y_row_stride, BLOCK: tl.constexpr, ONE_TILE: tl.constexpr
):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    y_row = y_ptr + row * y_row_stride
    cols = tl.arange(0, BLOCK)
    if ONE_TILE:
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=-float("inf")).to(tl.float32)
        e = tl.exp(x - tl.max(x, axis=0))
        y = e * (1.0 / tl.sum(e, axis=0))
        tl.store(y_row + cols, y.to(y_ptr.dtype.element_ty), mask=mask)
    else:
        # Per-lane running max and sum, the sum rescaled whenever the max grows. The first
        # tile is full (n_cols > BLOCK), so no lane's max is still -inf after it.
        m = tl.full((BLOCK,), -float("inf"), tl.float32)
        s = tl.zeros((BLOCK,), tl.float32)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=-float("inf")).to(tl.float32)
            m_new = tl.maximum(m, x)
            s = s + tl.exp(x - m_new)
            m = m_new
        row_max = tl.max(m, axis=0)
        inv_sum = 1.0 / tl.sum(s * tl.exp(m - row_max), axis=0)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
            y = tl.exp(x - row_max) * inv_sum
            tl.store(y_row + start + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _softmax_kernel[(n_rows,)](
            x2,
            y,
            n_cols,
            x2.stride(0),
            y.stride(0),
            BLOCK=block,
            ONE_TILE=n_cols <= block,
            num_warps=_num_warps(block),
        )
        return y.view(x.shape)
