"""Pattern: elementwise op with a fused epilogue (each element read once, written once).

Reference: y = F.gelu(x * scale + bias, approximate="tanh"), bias [n_cols] broadcast over
the last dim. Flatten to 1-D, one program per BLOCK elements, mask the tail, compute in
fp32, cast on store. Broadcast operands are indexed with `offs % n_cols`.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _tanh(x):  # from exp: libdevice-free, so it runs in the interpreter and on every GPU
    e = tl.exp(-2.0 * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x >= 0, t, -t)


@triton.jit
def scale_bias_gelu_kernel(x_ptr, bias_ptr, y_ptr, n_elements, n_cols, scale, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)  # int64: no overflow past 2**31
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(bias_ptr + offs % n_cols, mask=mask, other=0.0).to(tl.float32)
    z = x * scale + b
    y = 0.5 * z * (1.0 + _tanh(0.7978845608028654 * (z + 0.044715 * z * z * z)))
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, n_cols: int, scale: float):
        super().__init__()
        self.scale = scale
        self.bias = nn.Parameter(torch.randn(n_cols))  # created exactly as Model creates it

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        grid = lambda META: (triton.cdiv(n, META["BLOCK"]),)  # noqa: E731
        scale_bias_gelu_kernel[grid](x, self.bias, y, n, x.shape[-1], self.scale, BLOCK=1024)
        return y
