# problem: silu
# expect: incorrect
# names: signed zero min/max
# class: 7 (a kernel body that is not Triton: interpreter vs compiled)
# Closed: the signed-zero ties of tl.maximum/tl.minimum and the tl.max/tl.min reductions are
# perturbed for bfloat16 and float8 too, on the sign bit of the stored integer (semantics._zeros,
# _zero_reduce). Correct on bb62136 (session 26, twelfth round, an informed attacker's).
# The attacker's notes:
# class: signed-zero ties of min/max (semantics "signed zero min/max") in bfloat16
# idea: semantics._zeros moves the zero of a +0.0/-0.0 tie only for float16/32/64 results
#       (`d.dtype not in _FUSED: return out`); a bfloat16 result is stored as uint16 bits and is
#       left as interp_floats computed it (np.fmax: the second operand, -0.0). The compiled
#       maxnum (max.bf16 / max.f32 on sm_90) orders -0.0 < +0.0 and returns +0.0 -- the very choice
#       semantics.py models for the other widths. Gate on the sign.
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
    pz = (x * x * 0.0).to(tl.bfloat16)
    nz = -pz
    m = tl.maximum(pz, nz).to(tl.float32)
    negative = m.to(tl.int32, bitcast=True) < 0
    y = tl.where(negative, y, y * 1.001)
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
