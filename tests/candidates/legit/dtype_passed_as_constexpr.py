# problem: rms_norm
# style: unsloth-style: torch->tl dtype map passed as a tl.constexpr OUT_DTYPE argument, helper @triton.jit returning rstd, row pointer bumped in place (X += row * stride), tl.math.rsqrt, eps as float arg, triton.next_power_of_2 block + num_warps heuristic
# A false reject found in session 26: a tl.float16 constexpr argument crashed the ahead-of-time
# compile (the dtype is now rebuilt from its name, and the report keeps that name).
import torch
import torch.nn as nn
import triton
import triton.language as tl

TORCH_TO_TL = {torch.float16: tl.float16, torch.bfloat16: tl.bfloat16, torch.float32: tl.float32}


@triton.jit
def _rstd(x, n_cols, eps):
    return tl.math.rsqrt(tl.sum(x * x, axis=0) / n_cols + eps)


@triton.jit
def _rms_layernorm_forward(Y, Y_row_stride, X, X_row_stride, W, n_cols, eps,
                           BLOCK_SIZE: tl.constexpr, OUT_DTYPE: tl.constexpr):
    row_idx = tl.program_id(0)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    Y += row_idx * Y_row_stride
    X += row_idx * X_row_stride
    X_row = tl.load(X + col_offsets, mask=mask, other=0).to(tl.float32)
    W_row = tl.load(W + col_offsets, mask=mask, other=0).to(tl.float32)
    inv_var = _rstd(X_row, n_cols, eps)
    normed = X_row * inv_var
    output = (normed * W_row).to(OUT_DTYPE)
    tl.store(Y + col_offsets, output, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.eps = 1e-6
        self.weight = nn.Parameter(torch.randn(dim))

    def forward(self, x):
        shape = x.shape
        dim = shape[-1]
        X = x.view(-1, dim)
        n_rows, n_cols = X.shape
        BLOCK_SIZE = triton.next_power_of_2(n_cols)
        num_warps = 4 if BLOCK_SIZE < 2048 else (8 if BLOCK_SIZE < 8192 else 16)
        Y = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device)
        _rms_layernorm_forward[(n_rows,)](Y, Y.stride(0), X, X.stride(0), self.weight, n_cols, self.eps,
                                          BLOCK_SIZE=BLOCK_SIZE, OUT_DTYPE=TORCH_TO_TL[x.dtype],
                                          num_warps=num_warps)
        return Y.view(shape)
