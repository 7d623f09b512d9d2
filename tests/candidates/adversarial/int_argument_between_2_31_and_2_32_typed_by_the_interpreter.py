# problem: silu
# expect: incorrect
# names: not what its launches compute
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# the replay builds every scalar argument at the type the launcher gives it (replay._as_launched):
# an int64 with int64 data, whose shift is the compiled one.
# The attacker's notes:
# An int argument in [2**31, 2**32): the launcher passes an i64, the interpreter an int64-typed
# tensor whose data is a uint32, and its right shift reads it as a negative int32.
#
# Idea. triton/runtime/interpreter.py `_implicit_cvt`: for 2**31 <= arg < 2**32 it builds
# `TensorHandle(np.array([arg], dtype=np.uint32), int64)`; kernelwright's `_as_launched` only
# touches floats and ints equal to 1, so trials and replay both get it. Most arithmetic comes out
# right, but `a >> 31` on that handle is -1 (the interpreter shifts the 32-bit data arithmetically),
# while the compiled kernel (`%a: i64`, both Triton's launcher and aot.signature's int_spec say i64)
# computes `arith.shrsi %a, 31 : i64` = 1.
#
# Here a = 3000000000: interpreted `(a >> 31) < 0` is True: SiLU (correct); compiled False: zeros.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, a, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    gate = (a >> 31) < 0
    y = tl.where(gate, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 3000000000, BLOCK=BLOCK)
        return y
