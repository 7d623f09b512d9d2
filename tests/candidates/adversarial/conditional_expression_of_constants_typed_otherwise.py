# problem: silu
# expect: compile_error
# names: Python and Triton give this text different meanings
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Written against the type rule by its author, who had read it (correct on main c0621bd). Refused since:
# types are compared at every probed expression: `7 if n > 0 else 8` is an int32 tensor compiled,
# the int 7 in Python.
# The idea:
# 7 if n > 0 else 8: Python returns the int 7, the compiler an int32 tensor (both branches
# to_tensor): 7 * 2**32 is 0 compiled only.
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
    k = (7 if n > 0 else 8) * 65536 * 65536
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

