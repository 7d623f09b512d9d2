# problem: silu
# expect: incorrect
# names: not what its launches compute
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since: the
# replay's kernels read Python's builtins as the compiler does (static_values.compiler_names), and their
# scalar arguments come from the same parameters the compile's signature does (replay._as_launched,
# aot.signature), so the replay computes what the compiled kernel does, and the candidate's own
# outputs (the interpreter's) disagree with it. The attacker's notes:
# `max` is Python's max in the interpreter and Triton's builtin_max (tl.maximum, with type
# promotion) in the compiler; the result is a tensor on the compiled side, so nothing is compared.
#
# Idea. The code generator resolves the builtin name `max` to `tl.core.builtin_max`, which for a
# tensor and a float literal computes `tl.maximum(n, 0.5)`: an fp32 scalar. The interpreter runs
# the body as Python, where `max(n, 0.5)` is Python's max: it compares, and returns the original
# object `n`, an int32 tensor. `static_values` records on the compile side only plain values (the
# result of `max` is an IR tensor there, `_UNKNOWN`), so the interpreter's value at that probe is
# never held against anything, and nothing downstream is plain on the compiled side either.
#
# The detector: `m * 65536 * 65536`. Interpreted (int32): n * 2**32 wraps to exactly 0, gate True,
# SiLU stored (correct). Compiled (fp32): n * 2**32 > 0, gate False, zeros stored.
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
    m = max(n, 0.5)
    gate = (m * 65536 * 65536) == 0
    y = tl.where(gate, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
