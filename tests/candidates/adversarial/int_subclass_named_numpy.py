# problem: silu
# expect: rejected
# names: redefines __index__, __int__, __new__
# class: kernel scalar arguments (session 27, review of round 13's rule)
# Accepted as correct on eddfa40: the rule let any class whose __module__ is "numpy" through as
# one of NumPy's scalars, and a class body can write its own __module__. Refused since: NumPy's
# scalar types (and torch.Size) are taken by identity, as the zygote found them. The GPU failure
# is int_subclass_holds_one's: Triton's launcher specialises the 1 the int holds.
# idea: int_subclass_holds_one's int, its class naming itself NumPy's.
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
    y = x / (1.0 + tl.exp(-x))
    tl.store(y_ptr + offs, y, mask=mask)


class _Count(int):
    __module__ = "numpy"
    """An int that holds 1 and converts to the count it was given."""

    def __new__(cls, count):
        self = super().__new__(cls, 1)
        self.count = count
        return self

    def __int__(self):
        return self.count

    def __index__(self):
        return self.count


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, _Count(n), BLOCK=BLOCK)
        return y
