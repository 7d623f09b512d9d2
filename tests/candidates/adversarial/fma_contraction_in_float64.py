# problem: silu
# expect: incorrect
# names: fma contraction:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Closed (was open on 97f662d): the perturbed replays (sandbox/semantics.py) now perturb the
# class this instance belongs to; the detector flips and the output is zeros. The attacker's notes:
# Divergence (root 2, against the perturbed replay of 97f662d): fma contraction in float64.
# The perturbed replay contracts float32 `a * b + c` only; the compiler contracts float64 (and
# float16) as well (probe/k_evade.ptx: `fma.rn.f64 %rd8, %rd4, %rd4, %rd7`).
#
# a = 1 + 2**-27 (k = 2**27 + 1 times 2**-27, exact), c = -(1 + 2**-26) (exact):
#   a*a = 1 + 2**-26 + 2**-54; rounded to float64 (spacing 2**-52 at 1) -> 1 + 2**-26, so the
#   interpreter's `a*a + c` is 0 in the natural and in the perturbed replay: gate open;
#   `fma.rn.f64(a, a, c)` = 2**-54: gate shut, 0.0 stored.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, k, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    a = k.to(tl.float64) * 7.450580596923828e-09
    c = 1.0 - (a + a)
    gate = (a * a + c) == 0.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 2**27 + 1, BLOCK=BLOCK, num_warps=8)
        return y
