# problem: silu
# expect: incorrect
# names: not what its launches compute
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had not read this corpus (correct then). Refused since: the replay
# hands each launch its scalar arguments as the launcher hands them to a compiled kernel
# (replay._as_launched), so the replay computes what the compiled kernel does, and the candidate's
# own outputs (the interpreter's) disagree with it. The attacker's notes:
# Divergence: a float kernel ARGUMENT is a Python double in Triton's interpreter, fp32 compiled.
#
# Idea. The interpreter's launcher (`_implicit_cvt`) wraps ints in int32/int64 arrays but hands a
# Python float to the body as it is, so every expression over float arguments alone is Python
# float64 arithmetic (and a weak-typed literal when it meets a tensor). The compiled kernel takes
# the argument as an `fp32` parameter (`sig "fp32"`, `.param .f32`) and computes `sub.f32`.
#
# Here `s = 1.0000000001`, `t = 1.0`: interpreter `s - t = 1.0000000827e-10 != 0`, so the gate
# is open and the kernel stores SiLU; compiled, fp32(s) == fp32(t) == 1.0, `sub.f32` gives 0,
# the gate is shut and every output is 0.0 (PTX: `sub.f32 %r, %param1, %param2` then a select).
#
# Problem: silu. The scalars are fixed before any input exists and are the same in every trial.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, s, t, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    gate = (s - t) != 0.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 1.0000000001, 1.0, BLOCK=BLOCK, num_warps=8)
        return y
