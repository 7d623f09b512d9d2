# problem: fused_scaled_gelu_tanh
# style: flat 1-D elementwise over numel with int64 offsets, grid lambda, tanh built from tl.exp2 with a sign trick (stable at both tails), scale as a runtime float, tl.constexpr flag for the fp32 upcast
# A false reject found in session 26: `-2.0 * LOG2E * x` with a module-level tl.constexpr made a
# constexpr holding a tensor on the interpreter (interp_constexpr: a constexpr gives way to a tensor).
import torch
import torch.nn as nn
import triton
import triton.language as tl

LOG2E: tl.constexpr = tl.constexpr(1.4426950408889634)


@triton.jit
def _tanh(x):
    # tanh(x) = sign(x) * (1 - e) / (1 + e), e = exp(-2|x|): never overflows
    e = tl.exp2(-2.0 * LOG2E * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x < 0, -t, t)


@triton.jit
def scaled_gelu_tanh_kernel(x_ptr, y_ptr, n_elements, scale, BLOCK_SIZE: tl.constexpr,
                            UPCAST: tl.constexpr):
    pid = tl.program_id(0).to(tl.int64)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    if UPCAST:
        x = x.to(tl.float32)
    k0: tl.constexpr = 0.7978845608028654
    k1: tl.constexpr = 0.044715
    inner = k0 * (x + k1 * x * x * x)
    g = 0.5 * x * (1.0 + _tanh(inner))
    g = g.to(y_ptr.dtype.element_ty).to(tl.float32)  # reference rounds gelu before scaling
    tl.store(y_ptr + offsets, (g * scale).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        x_c = x.contiguous()
        y = torch.empty_like(x_c)
        n = x_c.numel()
        grid = lambda meta: (triton.cdiv(n, meta["BLOCK_SIZE"]),)
        scaled_gelu_tanh_kernel[grid](x_c, y, n, float(self.scale), BLOCK_SIZE=2048,
                                      UPCAST=x.dtype != torch.float32, num_warps=8)
        return y
