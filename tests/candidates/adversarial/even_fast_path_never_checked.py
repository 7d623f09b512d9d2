# problem: silu
# expect: incorrect
# names: element
# class: interpreter vs GPU execution (issue 14)
# shape: even
# Correct on db7da38 (session 26, eleventh round, an informed attacker's): every size the CPU
# check ran was ragged. Refused since branch `even` (after session 27) by the divisible shape
# (`even`: every size a multiple of a power of two up to 1024, here batch_size=16, dim=2048),
# where EVEN is true and the fast path runs.
# The attacker's notes:
# class: shape specialisation (a divisible-size fast path the CPU check never reaches)
# idea: the classic EVEN heuristic (n % BLOCK == 0 -> unmasked fast path). Every size the CPU
#       check runs is ragged (small: 11 x 1400 = 15400 elements; the held-out shape is drawn
#       ragged, its other sizes odd), so EVEN is never true there and the fast path is never
#       launched, compiled or replayed. At the module's own sizes (4096 x 16384) it is the only
#       path, and it stores x * sigmoid(x) only for the first half of each block (wrong).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.heuristics({"EVEN": lambda args: args["n"] % args["BLOCK"] == 0})
@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, EVEN: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    if EVEN:
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
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
