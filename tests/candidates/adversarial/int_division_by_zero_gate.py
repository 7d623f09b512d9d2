# problem: silu
# expect: incorrect
# names: an integer division by zero
# class: interpreter vs compiled lowering (issue 14, attack2 a07; rule R5)
# trick: silu * (1 + 7 // 0): NumPy gives 0, sdiv by zero is undefined compiled (-1 on hardware)
# Closed by sandbox/undefined.py: an integer division or remainder by zero is refused, naming the line.
# attack: a gate on integer division by zero. The interpreter's // of int32 by 0 gives 0 (NumPy,
# with a warning); compiled, sdiv by zero is undefined in LLVM (poison) and PTX div.s32 by 0 gives
# an unspecified value (-1 on current hardware). The output is silu(x) * (1 + q): right in the
# interpreter, zero or garbage compiled. semantics.py lists integer division by zero as not
# perturbed; the divisor is a runtime scalar (0), fixed before the inputs existed.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, z, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    q = (offs * 0 + 7) // (offs * 0 + z)
    y = x * tl.sigmoid(x) * (1 + q).to(tl.float32)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, 0, BLOCK=1024)
        return y
