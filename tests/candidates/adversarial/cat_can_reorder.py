# problem: silu
# expect: incorrect
# names: reordered reshape:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 26, by an attacker: a probe, NOT a false accept on a GPU (the H100 kept the order [a, b],
# see the attacker's verdict below). Refused since semantics.py's "reordered reshape" permutes every
# tl.cat(can_reorder=True): can_reorder=True gives no order guarantee (Triton's own contract; its
# 3.9 warning says so), so a kernel that relies on the order is wrong by contract even where one
# compiler version happens to keep it. tl.cat(..., can_reorder=False) is deterministic and untouched.
# The attacker's notes:
# idea: tl.cat(a, b, can_reorder=True) lets the compiler order the result's elements as it likes
#       (it concatenates each thread's registers: a[t], b[t] side by side, an interleave); the
#       interpreter's create_cat is np.concatenate, a plain [a, b]. Storing the result at
#       offsets 0..2*HALF-1 is SiLU in order in the interpreter, scrambled compiled.
#       Nothing in kernelwright perturbs create_cat or refuses can_reorder.
# verdict: correct, but NOT a GPU failure: tt.cat of two 1-D blocked tensors puts the rhs registers on
# the new highest register bit, which the blocked layout maps to offsets 512.., so the compiled order
# is [a, b] as in the interpreter (TTGIR: #blocked -> #blocked, no reorder). Kept as a probe.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, HALF: tl.constexpr):
    base = tl.program_id(0) * (2 * HALF)
    r = tl.arange(0, HALF)
    a = tl.load(x_ptr + base + r, mask=base + r < n, other=0.0)
    b = tl.load(x_ptr + base + HALF + r, mask=base + HALF + r < n, other=0.0)
    y = tl.cat(a * tl.sigmoid(a), b * tl.sigmoid(b), can_reorder=True)
    offs = base + tl.arange(0, 2 * HALF)
    tl.store(y_ptr + offs, y, mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, HALF=512)
        return y
