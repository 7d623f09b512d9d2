# problem: silu
# expect: compile_error
# names: is bound or changed more than once
# class: 7 (a kernel body that is not Triton: interpreter vs compiled)
# Closed: a match statement's capture patterns bind names too, and a star import binds any
# (kernel_source._module_bindings). Correct on bb62136 (session 26, twelfth round, an informed
# attacker's).
# The attacker's notes:
# class: extraction differs from the module a GPU runs (kernel_source._module_bindings/_rebound)
# idea: a `match` capture pattern binds a module-level name (ast.MatchAs.name is a str, not an
#       ast.Name, so _module_bindings never sees it): the extraction keeps GATE = 0, the module
#       itself (what a GPU runs, and the candidate's own trials) has GATE = 1, which turns on a
#       gate on the pointers' low 9 bits (512-aligned on a CUDA caching allocator; on the CPU
#       rarely) -- a pointer read the compile of the extraction never sees.
import torch
import torch.nn as nn
import triton
import triton.language as tl

GATE = tl.constexpr(0)

match tl.constexpr(1):
    case GATE:
        pass


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    if GATE:
        aligned = ((x_ptr.to(tl.int64) | y_ptr.to(tl.int64)) & 511) == 0
        y = tl.where(aligned, y * 1.001, y)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
