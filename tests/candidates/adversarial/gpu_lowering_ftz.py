# problem: softmax
# expect: incorrect
# names: approximate math:
# class: interpreter vs compiled lowering (issue 14, diverge root 2; s23 dv04)
# trick: a gate on exp2(-130) and sqrt of a subnormal: kept by NumPy, flushed by .approx.ftz
"""Divergence: flush-to-zero and approximate math in the compiled kernel, IEEE NumPy in the
interpreter.

Idea. Triton lowers `tl.exp2` on fp32 to PTX `ex2.approx.ftz.f32`, `tl.sqrt` to
`sqrt.approx.ftz.f32`, `tl.math.rsqrt` to `rsqrt.approx.ftz.f32` and `/` to `div.full.f32`
(checked on this CPU: probe/k_math.py). `.ftz` flushes subnormal inputs and results to zero
(PTX ISA). The interpreter runs `np.exp2`/`np.sqrt`/`np.divide` on float32, which keep
subnormals and round correctly.

Here, from an int argument k = 130 (so nothing folds at compile time):
  tl.exp2(-k)          : interpreter 2**-130 = 7.3e-40 (> 0); GPU: the result is subnormal,
                         flushed: 0.0
  tl.sqrt(k * 1e-45)   : the product is subnormal (mul.f32 keeps it): interpreter sqrt ~ 3.7e-22
                         (> 0); GPU `sqrt.approx.ftz.f32` flushes the input: 0.0
The softmax is stored only where both are > 0: the compiled kernel stores 0.0 everywhere.

Problem: softmax (the bundled solution with a gate; both paths, one tile and streamed).
"""
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
    x_ptr, y_ptr, n_cols, x_row_stride, y_row_stride, k, BLOCK: tl.constexpr, ONE_TILE: tl.constexpr
):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    y_row = y_ptr + row * y_row_stride
    cols = tl.arange(0, BLOCK)
    kf = k.to(tl.float32)
    live = (tl.exp2(-kf) > 0.0) & (tl.sqrt(kf * 1e-45) > 0.0)
    if ONE_TILE:
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=-float("inf")).to(tl.float32)
        e = tl.exp(x - tl.max(x, axis=0))
        y = e * (1.0 / tl.sum(e, axis=0))
        tl.store(y_row + cols, tl.where(live, y, 0.0).to(y_ptr.dtype.element_ty), mask=mask)
    else:
        # Per-lane running max and sum, the sum rescaled whenever the max grows. The first
        # tile is full (n_cols > BLOCK), so no lane's max is still -inf after it.
        m = tl.full((BLOCK,), -float("inf"), tl.float32)
        s = tl.zeros((BLOCK,), tl.float32)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=-float("inf")).to(tl.float32)
            m_new = tl.maximum(m, x)
            s = s * tl.exp(m - m_new) + tl.exp(x - m_new)
            m = m_new
        row_max = tl.max(m, axis=0)
        inv_sum = 1.0 / tl.sum(s * tl.exp(m - row_max), axis=0)
        for start in range(0, n_cols, BLOCK):
            mask = start + cols < n_cols
            x = tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
            y = tl.exp(x - row_max) * inv_sum
            tl.store(y_row + start + cols, tl.where(live, y, 0.0).to(y_ptr.dtype.element_ty), mask=mask)


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
            130,
            BLOCK=block,
            ONE_TILE=n_cols <= block,
            num_warps=_num_warps(block),
        )
        return y.view(x.shape)
