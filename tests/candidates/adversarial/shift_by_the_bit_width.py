# problem: silu
# expect: incorrect
# names: an integer shift by
# class: interpreter vs GPU execution (issue 14)
# Found by session 28's attacker round A (correct on 3e900ad). Refused since session 28:
# undefined.py refuses an integer shift by an amount outside 0 to the width minus one, in any
# lane, as it refuses a division by zero.
# The attacker's notes:
# class: an operation whose compiled result is undefined (undefined.py refuses integer division
#        by zero and lanes writing one address, not shifts past the bit width)
# idea: `offs >> HI` with HI = 32 (a constexpr) on an int32 tensor. The interpreter runs
#       np.right_shift, which defines a shift by >= the width (0 here: offs >= 0), so
#       `hi == 0` holds and SiLU is stored. Compiled, arith.shrsi by 32 reaches LLVM as
#       `ashr i32 %x, 32`, which LLVM defines as poison; InstSimplify folds it, the select on
#       it and everything it feeds to poison. The sm_90 PTX stores a register that is never
#       written (`st.global.b32 [..], {%r}` with no SiLU computed at all): the output is
#       whatever that register holds, not SiLU.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, HI: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    # the high word of the element index (always zero for a 32-bit index)
    hi = offs >> HI
    y = tl.where(hi == 0, y, y * 0.5)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024, HI=32)
        return y
