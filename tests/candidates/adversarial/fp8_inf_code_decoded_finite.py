# problem: silu
# expect: incorrect
# names: precision vs float64 | of elements are wrong | outside atol
# class: interpreter vs GPU execution (issue 14)
# Closed by interp_floats.py, in every run: float8 decodes through a table of each code's value
# (float8e5 0x7C is inf, as cvt.rn.f16x2.e5m2x2), so the gate takes the slower branch on every
# run. Correct on bb62136 (session 26, twelfth round).
# The attacker's notes:
# class: interpreter vs GPU float8 conversion (interp_floats: "conversions to and from float8 already decode")
# idea: the float8e5 code 0x7C is +inf (0x7D-0x7F NaN; float8e4nv 0x7F NaN); the interpreter's
#       _convert_float decodes them as finite numbers (65536.0, 81920.0, ...; 480.0). sm_90 decodes
#       with cvt.rn.f16x2.e5m2x2 -> inf. Gate on the decoded value.
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
    code = (offs * 0 + 124).to(tl.int8)
    q = code.to(tl.float8e5, bitcast=True).to(tl.float32)
    y = tl.where(q == 65536.0, y, y * 1.001)
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
