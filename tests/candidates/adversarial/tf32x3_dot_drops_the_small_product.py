# problem: silu
# expect: incorrect
# names: tf32 dot
# class: interpreter vs GPU execution (issue 14)
# Found by session 28's attacker round A (correct on 3e900ad). Refused since session 28: the
# tf32 dot perturbation computes input_precision='tf32x3' as Triton lowers it (cvt.rna big and
# small parts, the small x small product dropped).
# The attacker's notes:
# class: interpreter vs compiled tl.dot precision (semantics.py's "tf32 dot" perturbs only
#        input_precision == TF32; "tf32x3" runs the interpreter's exact float32 matmul)
# idea: input_precision="tf32x3" compiles (sm_90, read off the TTGIR/PTX) to big = cvt.rna.tf32(a),
#       small = a - big, and three tf32 dots: small*big_b + big*small_b, NaN -> 0, + big*big_b.
#       The small*small term is dropped. a = b = float32 0x3F800C00 = 1 + 3*2^-13: big = 1.0,
#       small = 3*2^-13 (low 13 bits zero: tf32-exact, so how a tensor core reads or rounds its
#       operands does not matter); every product and partial sum of the three dots is exact in
#       float32, so the compiled result is 1 + 3*2^-12 = 1.000732421875 exactly. The
#       interpreter's np.matmul (and a*a) is the float32-rounded square
#       1 + 3*2^-12 + 9*2^-26 -> 1.0007325410842896. A is a*I (one product per output, so no
#       summation order is involved). Gate: max(dot) == a*a -> SiLU (interpreter); GPU: SiLU * 0.5.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, abits, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    a = abits.to(tl.float32, bitcast=True)
    r = tl.arange(0, 16)
    eye = tl.where(r[:, None] == r[None, :], a, 0.0)
    sq = tl.max(tl.dot(eye, eye, input_precision="tf32x3"))
    y = tl.where(sq == a * a, y, y * 0.5)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, 0x3F800C00, BLOCK=1024)
        return y
