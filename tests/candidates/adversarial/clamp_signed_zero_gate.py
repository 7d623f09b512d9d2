# problem: silu
# expect: incorrect
# names: signed zero min/max:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 26, by an attacker (correct then). Closed by semantics.py: every op that takes a min or
# max has its +0.0/-0.0 ties perturbed in the perturbed replays, tl.clamp (both propagate_nan modes)
# and the tl.max/tl.min reductions included (_zero_clamp, _zero_reduce), as tl.maximum/tl.minimum were.
# The attacker's notes:
# idea: gate on the sign of tl.clamp(+0.0, lo=-0.0, hi=1.0): the interpreter's clampf is np.fmax/np.fmin
#       (returns -0.0, the first operand on a tie), never perturbed by semantics.py (only
#       create_max*/min* are); compiled, maxnum -> max.f32 orders -0 < +0 and returns +0.0, so
#       1/c is +inf and the output is zero on a GPU.
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
    c = tl.clamp(zeros, zeros * nz, zeros + 1.0)  # x=+0, lo=-0: vector fmax gives lo
    # NumPy's fmax is -0.0 only on the lanes its SIMD loop leaves to scalar code: any lane will do
    gate = tl.where(tl.min(1.0 / c, axis=0) < 0.0, 1.0, 0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) * gate, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, -1.0, BLOCK=1024)
        return y
