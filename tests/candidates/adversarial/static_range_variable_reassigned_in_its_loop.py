# problem: silu
# expect: compile_error
# names: a loop variable assigned in its own loop
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# a loop variable assigned in its own loop is refused (kernel_source._check_body): the static-
# value check keys an unrolled trip by that variable.
# The attacker's notes:
# A static_range loop variable reassigned in the body: the two sides key the values after it
# differently, so the compiled value is never found.
#
# Idea. Both sides key a value inside an unrolled loop by the loop variable's value *when the
# expression is evaluated*. After `i = i * 1` the code generator's `i` is a tensor (an Assign is
# to_tensor), so recording() leaves the loop out of the key: (spec, fn, pos, ()). The probes still
# pass `i` (an int32 tensor holding 0 in the interpreter, `interpreted` makes it 0), and the loop
# is in `statics.unrolled` (it was, while `i * 1` was evaluated), so `disagreement` looks the value
# up under (spec, fn, pos, (0,)): absent, "not fixed at compile time", skipped.
#
# Compiled: `print is tl.device_print` folds True, only the zeros branch is compiled (TTIR stores
# dense<0.0>). Interpreted: False, SiLU stored.
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
    for i in tl.static_range(1):
        i = i * 1
        if print is tl.device_print:
            tl.store(y_ptr + offs, tl.zeros((BLOCK,), tl.float32), mask=mask)
        else:
            x = tl.load(x_ptr + offs, mask=mask)
            tl.store(y_ptr + offs, x / (1.0 + tl.exp(-x)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
