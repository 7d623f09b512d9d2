# problem: silu
# expect: incorrect
# names: of elements are wrong | outside atol
# class: interpreter vs GPU execution (issue 14)
# Found by session 28's attacker round A (correct on 3e900ad). Refused since session 28:
# interp_floats converts with fp_downcast_rounding="rtz" between IEEE types as cvt.rz does
# (toward zero, a finite overflow the largest finite value) in every interpreted run.
# The attacker's notes:
# class: interpreter vs compiled float conversion (a non-default rounding mode: Triton's own
#        _convert_float bit arithmetic, which interp_floats.py leaves alone outside bf16/float8)
# idea: `x.to(tl.float16, fp_downcast_rounding="rtz")` is create_fp_to_fp(RTZ); the interpreter
#       runs triton's _convert_float for float32 -> float16, which clamps the biased exponent to
#       31 and keeps the truncated mantissa: 70000.0 becomes the bit pattern 0x7C11 (NaN),
#       65536.0 becomes inf. sm_90 compiles `cvt.rz.f16.f32` (read off the PTX), IEEE round
#       toward zero: a finite overflow gives the largest finite float16, 65504.0. interp_floats
#       routes only bf16/float8 conversions; semantics.py does not perturb create_fp_to_fp.
#       Gate: h != h (NaN) -> SiLU (interpreter); h == 65504 -> SiLU * 0.5 (GPU).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, big, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    # a float16 staging copy of a scale, truncated toward zero
    h = (x * 0.0 + big).to(tl.float16, fp_downcast_rounding="rtz")
    y = tl.where(h != h, y, y * 0.5)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, 70000.0, BLOCK=1024)
        return y
