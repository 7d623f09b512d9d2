# expect: incorrect
# The bundled layer norm reading its bias one element late: right while the bias is
# nn.LayerNorm's initial zeros, wrong for any bias a trained model has.
import torch
import torch.nn as nn
import triton
import triton.language as tl

# Rows up to this width are held in registers as one tile (one read, one write);
# wider rows are read three times in tiles of this width (mean, variance, output).
MAX_TILE = 8192


def _num_warps(block):
    return 16 if block >= 8192 else 8 if block >= 2048 else 4


@triton.jit
def _layer_norm_kernel(
    x_ptr,
    w_ptr,
    b_ptr,
    y_ptr,
    n_cols,
    x_row_stride,
    y_row_stride,
    eps,
    BLOCK: tl.constexpr,
    ONE_TILE: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    y_row = y_ptr + row * y_row_stride
    cols = tl.arange(0, BLOCK)
    if ONE_TILE:
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        mean = tl.sum(x, axis=0) / n_cols
        diff = tl.where(mask, x - mean, 0.0)
        rstd = 1.0 / tl.sqrt(tl.sum(diff * diff, axis=0) / n_cols + eps)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + cols + 1, mask=mask, other=0.0).to(tl.float32)
        tl.store(y_row + cols, (diff * rstd * w + b).to(y_ptr.dtype.element_ty), mask=mask)
    else:
        acc = tl.zeros((BLOCK,), tl.float32)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            acc += tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
        mean = tl.sum(acc, axis=0) / n_cols
        # Variance from the centred values (two passes) rather than E[x^2] - mean^2,
        # which cancels catastrophically when the mean is large.
        acc = tl.zeros((BLOCK,), tl.float32)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
            diff = tl.where(mask, x - mean, 0.0)
            acc += diff * diff
        rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / n_cols + eps)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
            w = tl.load(w_ptr + start + cols, mask=mask, other=0.0).to(tl.float32)
            b = tl.load(b_ptr + start + cols, mask=mask, other=0.0).to(tl.float32)
            y = (x - mean) * rstd * w + b
            tl.store(y_row + start + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim):
        super().__init__()
        # Same constructor calls as the reference, so the same seed gives the same parameters.
        self.ln = nn.LayerNorm(dim)

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _layer_norm_kernel[(n_rows,)](
            x2,
            self.ln.weight,
            self.ln.bias,
            y,
            n_cols,
            x2.stride(0),
            y.stride(0),
            self.ln.eps,
            BLOCK=block,
            ONE_TILE=n_cols <= block,
            num_warps=_num_warps(block),
        )
        return y.view(x.shape)
