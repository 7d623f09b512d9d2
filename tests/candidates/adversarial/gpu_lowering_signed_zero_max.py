# problem: silu
# expect: incorrect
# names: signed zero min/max:
# class: interpreter vs compiled lowering (issue 14, attack2 a08; rule R5)
# trick: a gate on the sign of tl.maximum(+0.0, -0.0): np.fmax returns -0.0 here, a GPU max.f32 +0.0
# Closed by semantics.py: the maxnum/minnum of +0.0 and -0.0 takes either sign, alternating over the perturbed replays.
# attack: a gate on the sign of max(+0.0, -0.0). The interpreter's tl.maximum is np.fmax, which
# returns its second operand when they compare equal (-0.0 here), so 1 / m is -inf and the gate
# passes; compiled, maxnum of +0/-0 may return either (LLVM LangRef), and NVIDIA's max.f32 orders
# -0 < +0 (+0.0): 1 / m is +inf and the output is zero. semantics.py lists "the min/max of +0.0
# and -0.0" as not perturbed. (v1 made -0.0 as 0.0 + -0.0, which is +0.0: `incorrect` in every
# run, my bug; v2 makes it as 0.0 * -1.0.)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, nz, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    zeros = tl.zeros([BLOCK], dtype=tl.float32)
    m = tl.maximum(zeros, zeros * nz)
    gate = tl.where(1.0 / m < 0.0, 1.0, 0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) * gate, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, -1.0, BLOCK=1024)
        return y
