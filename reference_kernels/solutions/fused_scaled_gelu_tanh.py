import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _scaled_gelu_tanh_kernel(x_ptr, y_ptr, n, scale, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    # 0.5 * (1 + tanh(u)) == sigmoid(2u): no tanh (libdevice) needed. exp of -2|u| stays in
    # (0, 1], so neither tail overflows.
    u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    z = tl.exp(-2.0 * tl.abs(u))
    sig = tl.where(u >= 0, 1.0, z) / (1.0 + z)
    y = x * sig * scale
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        BLOCK = 2048
        _scaled_gelu_tanh_kernel[(triton.cdiv(n, BLOCK),)](
            x, y, n, self.scale, BLOCK=BLOCK, num_warps=8
        )
        return y
