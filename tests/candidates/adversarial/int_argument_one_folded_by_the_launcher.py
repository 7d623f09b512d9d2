# problem: silu
# expect: incorrect
# names: not what its launches compute
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had not read this corpus (correct then). Refused since: the replay
# hands each launch its scalar arguments as the launcher hands them to a compiled kernel
# (replay._as_launched), so the replay computes what the compiled kernel does, and the candidate's
# own outputs (the interpreter's) disagree with it. The attacker's notes:
# Divergence: an int argument equal to 1 is a constexpr (a weakly typed literal) in the compiled
# kernel and an int32 tensor in the interpreter, so it promotes differently.
#
# Idea. Triton's launcher specialises an int argument that equals 1 (unless do_not_specialize)
# into the kernel as the constant 1; kernelwright's ahead-of-time compile does the same
# (aot.signature: "ints equal to 1 folded to constants"). A constant is a Python literal to the
# code generator: int8_tensor * 1 stays int8. The interpreter's `_implicit_cvt` makes the same
# argument an int32 tensor, and int8 * int32 promotes to int32.
#
# Here `t = full(100, int8) * one * 2`: interpreter int32 200 (> 0): gate open, SiLU stored;
# compiled int8 100 * 2 wraps to -56 (TTIR folds it to the constant dense<-56>): gate shut,
# 0.0 stored. (Not the "static value" class: `one` is a runtime argument of the kernel's
# signature; only the launcher's value specialisation makes it a constant.)
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, one, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    t = tl.full((BLOCK,), 100, tl.int8) * one
    gate = (t * 2) > 0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 1, BLOCK=BLOCK, num_warps=8)
        return y
