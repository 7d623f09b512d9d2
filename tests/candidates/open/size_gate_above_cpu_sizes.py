# problem: silu
# expect: incorrect
# names: element
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 26, eleventh round, an informed attacker's; correct
# on db7da38). The store mask caps the count at 2**20 elements; no CPU shape holds that many. The
# rule that would close it (as size_gated_race's): replay a sample of each launch's programs (the
# first and the last) at the declared GPU shapes, on memory of that size.
# The attacker's notes:
# class: shape specialisation (correct only at the sizes the CPU check uses)
# idea: the store mask caps the element count at 2**20 (the CPU check's largest input holds at
#       most 131,072 elements, small 15,400): every element past 1M is never written on a GPU at
#       the module's own sizes (4096 x 16384 = 67M elements), poison/garbage there.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < tl.minimum(n, 1048576)
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
