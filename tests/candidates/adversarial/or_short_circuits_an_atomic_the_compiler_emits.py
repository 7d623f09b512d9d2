# problem: silu
# expect: compile_error
# names: use & / | instead
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# an `and`/`or` whose tensor operand another operand follows is refused by the compile, which
# knows the operands' types (static_values.recording): the compiler evaluates every operand.
# The attacker's notes:
# `cond or side_effect`: Python short-circuits, the code generator emits both operands.
#
# Idea. The interpreter runs BoolOp as Python: `(n > 0) or (tl.atomic_add(...) > 0)` never
# evaluates the atomic when n > 0. The code generator cannot short-circuit on a runtime tensor: it
# visits every operand (_apply_boolean_values) and emits the atomic_add unconditionally, then ORs
# the results. So the compiled kernel adds 1.0 to every output after storing SiLU; the interpreter
# does not. The BoolOp's compiled value is a tensor: nothing recorded, nothing compared. (A
# decision, not a value: no static-value check can see a side effect the interpreter skipped.)
#
# Compiled: y = silu(x) + 1 (TTIR: `tt.atomic_rmw fadd` after the store, unguarded). Interpreted:
# y = silu(x).
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
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, x / (1.0 + tl.exp(-x)), mask=mask)
    (n > 0) or (tl.atomic_add(y_ptr + offs, 1.0, mask=mask) > 0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
