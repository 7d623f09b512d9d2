# problem: silu
# expect: incorrect
# names: precision vs float64 | of elements are wrong | outside atol
# class: interpreter vs GPU execution (issue 14)
# Closed by interp_floats.py, in every run: float32 -> float8 rounds to nearest even on the type's
# grid, subnormals included (0.001 -> 2^-9, as cvt.rn.satfinite.e4m3x2.f32), so the gate takes the
# slower branch on every run. Correct on bb62136 (session 26, twelfth round).
# The attacker's notes:
# class: interpreter vs GPU float8 conversion (interp_floats: "conversions to and from float8 already decode")
# idea: float32 -> float8e4nv of a value in fp8 subnormal range: the interpreter's _convert_float gives 0.0 for 0.001 (and 0.0039 for 0.005), sm_90's cvt.rn.satfinite.e4m3x2.f32 rounds to nearest: 0.001953125 (torch agrees). No perturbation touches it (satfinite clips only past 448). Gate on it.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    small = x * 0.0 + 0.001
    q = small.to(tl.float8e4nv).to(tl.float32)
    y = tl.where(q == 0.0, y, y * 1.001)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
