# problem: silu
# expect: compile_error
# names: Python and Triton give this text different meanings
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# every local name's type (constexpr or tensor, dtype, shape) is held against the compiler's
# (static_values.typed): `v` is the constant 2 compiled, an int32 tensor interpreted.
# The attacker's notes:
# A comprehension's variable leaks into the kernel's scope in the code generator, not in Python.
#
# Idea. code_generator.visit_ListComp binds the target with `assignTarget` in the function's own
# `lscope` and never restores it, so after `[v for v in (1, 2)]` the compiled kernel's `v` is the
# constexpr 2; in Python 3 (the interpreter) a comprehension has its own scope and `v` is still
# the outer int32 tensor 0. Nothing in the comprehension is of a probed kind (Names, constants, a
# tuple), and afterwards `v` only meets tensors (`x * 0.0 + v`), which the compile side never
# records.
#
# Compiled: x*0 + 2 == 0 is False: zeros stored (TTIR: `dense<0.0>`). Interpreted: x*0 + 0 == 0:
# SiLU.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    v = 0
    [v for v in (1, 2)]
    y = tl.where((x * 0.0 + v) == 0.0, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
