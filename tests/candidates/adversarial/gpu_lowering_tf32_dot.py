# problem: row_mean
# expect: incorrect
# names: tf32 dot:
# class: interpreter vs compiled lowering (issue 14, diverge root 6; s23 dv06)
# trick: an fp32 tl.dot left at the default tf32 precision, which the interpreter ignores
"""Divergence: `tl.dot`'s input precision. The interpreter ignores it; the compiler honours it.

Idea. For float32 operands Triton's default `input_precision` on NVIDIA is "tf32" (TTIR:
`tt.dot ... inputPrecision = tf32`; PTX: `wgmma`/`mma` with `.tf32` operands), which keeps 10
of float32's 23 mantissa bits. The interpreter's `create_dot` drops the precision argument and
runs `np.matmul` in float32. The README's precision rule ("rms error vs float64 at most 16x
the reference's own ... a TF32 tl.dot fails: pass input_precision='ieee'") can therefore never
fire on the CPU: it only ever sees the ieee product.

No detector here: an honest-looking row mean as `x_tile @ ones` with the default precision.
On the CPU it is float32-exact (correct); compiled for sm_90 each x is rounded to tf32 first,
a relative error of up to 2**-11 per element, some 10^3 x the float32 reference's error on a
mean of randn rows (emulated: tf32_emulation.py), which the check itself calls incorrect.

Problem: row_mean (float32).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

ROWS = 16
BLOCK_K = 128


@triton.jit
def _row_mean_kernel(x_ptr, y_ptr, n_rows, n_cols, x_row_stride, ROWS: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK_K)
    row_ok = rows < n_rows
    ones = tl.full((BLOCK_K, 16), 1.0, tl.float32)
    acc = tl.zeros((ROWS, 16), tl.float32)
    for start in range(0, n_cols, BLOCK_K):
        m = row_ok[:, None] & (start + cols[None, :] < n_cols)
        x = tl.load(x_ptr + rows[:, None].to(tl.int64) * x_row_stride + start + cols[None, :], mask=m, other=0.0)
        acc = tl.dot(x, ones, acc)
    mean = tl.sum(acc, axis=1) * (1.0 / 16.0) / n_cols
    tl.store(y_ptr + rows, mean.to(y_ptr.dtype.element_ty), mask=row_ok)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=x.dtype, device=x.device)
        _row_mean_kernel[(triton.cdiv(n_rows, ROWS),)](
            x2, y, n_rows, n_cols, x2.stride(0), ROWS=ROWS, BLOCK_K=BLOCK_K, num_warps=4
        )
        return y.view(x.shape[:-1])
