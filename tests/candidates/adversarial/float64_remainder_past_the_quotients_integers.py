# problem: silu
# expect: incorrect
# names: float remainder
# class: interpreter vs GPU execution (issue 14)
# Found by session 28's attacker round A (correct on 3e900ad). Refused since session 28: the
# float remainder perturbation lowers float64 % as NVPTX does (div.rn, cvt.rzi, fma.rn; x where
# the divisor is infinite), as it did float32.
# The attacker's notes:
# class: interpreter vs compiled lowering of float `%` (semantics.py's "float remainder"
#        perturbs float32 only: `_frem` returns the natural result when the dtype is not float32)
# idea: float64 `%` is `frem double`; NVPTX lowers it exactly as it does float32's (read off
#       the sm_90 PTX): div.rn.f64, cvt.rzi.f64.f64, neg, fma.rn.f64(-q, y, x), and a selp that
#       returns x when y is infinite. That is C's fmod only while the quotient is an integer
#       float64 holds. a = 10**18 (an int64 argument, exact in float64), b = 3:
#         interpreter: np.fmod(1e18, 3) = 1.0 (10**18 = 1 mod 3): gate open, SiLU stored;
#         compiled: q = div.rn(1e18, 3) = 333333333333333312 (float64 spacing 64 there),
#         trunc = q, fma(-q, 3, 1e18) = 1e18 - 999999999999999936 = 64.0, exact (one rounding
#         of an exactly representable value): gate shut, SiLU * 0.5 stored.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, big, k, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    r = big.to(tl.float64) % k.to(tl.float64)
    y = tl.where(r == 1.0, y, y * 0.5)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, 10**18, 3, BLOCK=1024)
        return y
