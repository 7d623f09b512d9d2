# problem: silu
# expect: incorrect
# names: element
# class: interpreter vs GPU execution (issue 14)
# shape: default
# OPEN: a known false accept on the CPU (branch `even`, after session 27, an attacker who had
# read the divisible shape). The fast path is gated on a row length divisible by 4096: the
# divisible shape makes every size a multiple of a power of two up to 1024 only, within the
# CPU budget (silu: dim = 2048, batch_size = 16), so it never runs there; at the module's own
# sizes (dim = 16384) it is the only path, and wrong. A larger divisor does not close it (the
# attacker moves past it, and the budget caps the sizes: 16 x 2048 is silu's 4x work of
# `small`); the rule that would: the declared GPU shapes' launch configurations compiled and
# sampled (as size_gated_race's).
# The attacker's notes:
# class: shape specialisation (a fast path gated past the divisibility the CPU check draws)
# idea: EVEN_ROW = dim % 4096 == 0 picks an unmasked path that stores only the first half of
#       each block; every CPU shape's dim (1400, ragged held-out widths, 2048) misses it.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, EVEN_ROW: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    if EVEN_ROW:
        x = tl.load(x_ptr + offs)
        tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=tl.arange(0, BLOCK) < BLOCK // 2)
    else:
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask, other=0.0)
        tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        even_row = x.shape[-1] % 4096 == 0
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024, EVEN_ROW=even_row)
        return y
