# problem: row_max
# style: FlagGems amax style: split each row over a 2D grid, tl.atomic_max of each chunk's max into an fp32 buffer made with torch.full(-inf), then a tiny cast kernel to fp16
# A false reject found in session 26: -inf, a scalar of the launch log, was written as JSON null and
# came back None (the launch-log models now write -inf, inf and NaN as JSON constants).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def amax_atomic_kernel(x_ptr, acc_ptr, n_cols, stride_row, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    pid_n = tl.program_id(1)
    cols = pid_n * BLOCK + tl.arange(0, BLOCK)
    v = tl.load(x_ptr + row.to(tl.int64) * stride_row + cols, mask=cols < n_cols, other=float("-inf"))
    tl.atomic_max(acc_ptr + row, tl.max(v.to(tl.float32), axis=0))


@triton.jit
def cast_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m).to(dst_ptr.dtype.element_ty), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.reshape(-1, x.shape[-1])
        M, N = x2.shape
        acc = torch.full((M,), float("-inf"), device=x.device, dtype=torch.float32)
        BLOCK = 1024
        amax_atomic_kernel[(M, triton.cdiv(N, BLOCK))](x2, acc, N, x2.stride(0), BLOCK=BLOCK)
        out = torch.empty((M,), device=x.device, dtype=x.dtype)
        cast_kernel[(triton.cdiv(M, 256),)](acc, out, M, BLOCK=256)
        return out.view(x.shape[:-1])
