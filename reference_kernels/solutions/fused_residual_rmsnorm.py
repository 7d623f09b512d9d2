import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _add_rmsnorm_kernel(
    x_ptr, r_ptr, w_ptr, y_ptr, h_ptr,
    N, eps,
    stride_x, stride_r, stride_y, stride_h,
    BLOCK_N: tl.constexpr,
):
    # One row per program: the row is read once, and both outputs are written from registers.
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0)
    r = tl.load(r_ptr + row * stride_r + cols, mask=mask, other=0.0)
    # Added in the input dtype, as the reference does, so h matches it bit for bit.
    h = x + r
    tl.store(h_ptr + row * stride_h + cols, h, mask=mask)
    hf = h.to(tl.float32)
    rstd = tl.rsqrt(tl.sum(hf * hf, axis=0) / N + eps)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0)
    y = (hf * rstd).to(h.dtype) * w
    tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, hidden_size, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(hidden_size))

    def forward(self, x, residual):
        T, N = x.shape
        y = torch.empty_like(x)
        h = torch.empty_like(x)
        BLOCK_N = triton.next_power_of_2(N)
        _add_rmsnorm_kernel[(T,)](
            x, residual, self.weight, y, h,
            N, self.eps,
            x.stride(0), residual.stride(0), y.stride(0), h.stride(0),
            BLOCK_N=BLOCK_N, num_warps=min(16, max(4, BLOCK_N // 1024)),
        )
        return y, h
