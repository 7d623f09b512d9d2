# problem: silu
# expect: incorrect
# names: float8 dot accumulator
# class: interpreter vs GPU execution (issue 14)
# Refused since session 28 by the "float8 dot accumulator" perturbation (semantics.py): a
# perturbed replay keeps a float8 dot's float32 accumulator to 14 significant bits after each
# wgmma step of 32 of K, as sm_90 does when max_num_imprecise_acc is left unset (the width is the
# DeepSeek-V3 report's, not measured here: no GPU was lent). Correct on 3e900ad, open since
# session 27.
# The attacker's notes:
# class: interpreter vs GPU float8 tl.dot (interp_floats: the interpreter's dot decodes float8
#        exactly and accumulates in float32)
# idea: Triton 3.9 sets max_num_imprecise_acc to 2^30 for float8 x float8 -> float32 dots on sm_90
#       (the nvidia backend's max_num_imprecise_acc_default), so the wgmma accumulator is never
#       promoted to a float32 add: Hopper's float8 tensor-core accumulation keeps about 14 bits
#       (DeepSeek-V3 report, 3.3.2). 16 * 16 at k = 0 and 2^-5 * 2^-5 at k = 32 (two wgmma
#       k-steps) is 256 + 2^-10 in float32 (19 bits: the interpreter, every perturbed order of
#       K), 256 with 14 bits. Gate on it.
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
    i = tl.arange(0, 64)
    kv = tl.where(i == 0, 16.0, tl.where(i == 32, 0.03125, 0.0)) + x.to(tl.float32).sum() * 0.0
    a = (i[:, None] * 0.0 + kv[None, :]).to(tl.float8e4nv)
    b = (kv[:, None] + i[None, :] * 0.0).to(tl.float8e4nv)
    d = tl.dot(a, b)
    hi = tl.max(tl.max(d, 1), 0)
    y = tl.where(hi > 256.0, y, y * 1.001)
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
