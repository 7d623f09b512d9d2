# problem: silu
# expect: incorrect
# names: not what its launches compute
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since: the
# replay's kernels read Python's builtins as the compiler does (static_values.compiler_names), and their
# scalar arguments come from the same parameters the compile's signature does (replay._as_launched,
# aot.signature), so the replay computes what the compiled kernel does, and the candidate's own
# outputs (the interpreter's) disagree with it. The attacker's notes:
# `do_not_specialize=(-1,)`: Triton matches it against parameter numbers (0, 1, ...), so it
# names no parameter and `one == 1` is still folded to a constant; replay._as_launched reads -1 as
# Python indexing (`names[-1]`), keeps `one` an int32 tensor in the interpreter.
#
# Idea. jit.py:810 `dns = i in do_not_specialize or param.name in do_not_specialize` (i >= 0).
# replay.py _as_launched: `kept = {names[k] if isinstance(k, int) else k for k in kept}`, so -1 is
# the last parameter. aot.signature uses Triton's own KernelParam.do_not_specialize, so the
# evidence compile does fold `one` to the constant 1, like a GPU launcher (dv07's weak literal:
# int8 * 1 stays int8), while both interpreter runs compute in int32.
#
# Here `t = full(100, int8) * one`: interpreted int32 100, `t * 2` = 200 > 0: gate open, SiLU
# (correct); compiled (one = constexpr 1) int8, 100 * 2 wraps to -56: gate shut, zeros.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit(do_not_specialize=(-1,))
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, one):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    t = tl.full((BLOCK,), 100, tl.int8) * one
    gate = (t * 2) > 0
    y = tl.where(gate, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK, 1)
        return y
