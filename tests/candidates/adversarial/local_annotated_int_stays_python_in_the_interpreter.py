# problem: silu
# expect: compile_error
# names: a local annotated with something other than tl.constexpr
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# a local annotated with anything but tl.constexpr is refused (kernel_source._check_body): the
# compiler makes it a tensor, the interpreter keeps the Python value.
# The attacker's notes:
# An annotated assignment: the code generator turns its value into a tensor (visit_AnnAssign ->
# visit_Assign -> to_tensor, unless the annotation is tl.constexpr), the interpreter leaves it a
# Python int (its ASTTransformer rewrites `Assign` only).
#
# Idea. `x: int = 2147483647` is an int32 tensor compiled, the Python int 2147483647 interpreted.
# `x + 1` then wraps to -2**31 in int32 compiled, and is 2**31 in Python. The compiled values are
# tensors (never recorded by static_values.recording: not plain), so the interpreter's plain values
# at the probes (`x + 1` = 2147483648, `(x + 1) > 0` = True) are held against nothing. Not a value
# the compiler folds; a difference in what an assignment *means* on each side.
#
# Compiled: gate = (x + 1) > 0 is False: zeros (TTIR stores dense<0.0>). Interpreted: True: SiLU.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(x_ptr + offs, mask=mask)
    x: int = 2147483647
    gate = (x + 1) > 0
    y = tl.where(gate, v / (1.0 + tl.exp(-v)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
