# problem: silu
# expect: compile_error
# names: folds
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# a call is keyed by its position and the unrolled trip it is on, in the compile and in the probes
# (static_values), and a key one side lacks where the other evaluated the expression is a
# disagreement, never a skip.
# The attacker's notes:
# A helper called from inside a tl.static_range loop at a constexpr that changes per trip: the
# compile keeps one specialisation per call *position*, the last trip's, and the interpreter's
# values inside the helper are looked up in that one.
#
# Idea. static_values.recording's call_jit_hook stores `calls[(spec, fn, pos of the call)] =
# mangled name` with no unrolled-loop key, so trip 0 (`_part(..., C=True)`) is overwritten by trip 1
# (`_part(..., C=False)`). The probes' path names only the call id. In trip 0 the interpreter runs
# `print is tl.device_print` inside `_part`; `disagreement` maps the path to the C=False
# specialisation, where the code generator never visited that line (`if C:` folded False; `if C:`
# tests a Name, which is not probed either), so the key is absent: skipped.
#
# Compiled: `_part` at C=True folds `print is tl.device_print` True and stores zeros (TTIR of the
# C=True specialisation: `tt.store ... dense<0.0>`); the C=False one stores nothing. Interpreted:
# trip 0 stores SiLU.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _part(x_ptr, y_ptr, offs, mask, C: tl.constexpr):
    if C:
        if print is tl.device_print:
            tl.store(y_ptr + offs, tl.zeros(offs.shape, tl.float32), mask=mask)
        else:
            x = tl.load(x_ptr + offs, mask=mask)
            tl.store(y_ptr + offs, x / (1.0 + tl.exp(-x)), mask=mask)


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    for i in tl.static_range(2):
        _part(x_ptr, y_ptr, offs, mask, i == 0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
