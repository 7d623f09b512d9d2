# problem: silu
# expect: incorrect
# names: output matches | not what its launches compute
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# a `range`/`tl.range` loop variable is the compiled loop's in every interpreted run: a scalar
# tensor of the promoted bounds' type (interp_rewrite.typed_loop), so i * 2**32 wraps to 0 there
# too. Since session 26 the trials type it too (it was the replay alone), so the candidate's own
# output is the compiled kernel's zeros, refused at the output comparison.
# The attacker's notes:
# A `range` loop's variable: an int32 tensor in the compiled kernel (scf.for's induction
# variable), a Python int in the interpreter (Python's range), so arithmetic on it overflows on
# one side only.
#
# Idea. The code generator lowers `for i in range(1, 2)` to scf.for with an i32 induction variable;
# the interpreter iterates Python's `range` (and `_new_range` for tl.range), so `i` is an unbounded
# Python int. `i * 65536 * 65536` is 2**32 interpreted, 0 compiled (i32 wraps). The compiled
# values are tensors (recording() notes nothing), and the loop is dynamic (the probes need not key
# it), so the interpreter's plain 4294967296 is held against nothing.
#
# Compiled: (x*0 + 0) != 0 is False: zeros. Interpreted: (x*0 + 2**32) != 0: SiLU.
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
    for i in range(1, 2):
        k = i * 65536 * 65536
        y = tl.where((x * 0.0 + k) != 0.0, x / (1.0 + tl.exp(-x)), 0.0)
        tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
