# problem: silu
# expect: rejected
# names: redefines __index__, __int__, __new__
# class: kernel scalar arguments (session 28 round 13, found from the tuple-subclass attack)
# Accepted as correct on 2d9ade4 (the recorder logs int(n) = the count, the interpreter's
# np.array([n]) converts through __index__ too); refused since by recorder._own_behaviour. Not run
# on a GPU; measured on the host side of a launch: Triton 3.9's native_specialize_impl of this
# object is ('constexpr', 1) (it reads the int's own value), so the kernel a GPU runs masks
# `offs < 1` and writes y[0] alone.
# idea: an int subclass that holds 1 and answers the element count to int()/__index__: every
#       CPU reader converts it, Triton's launcher reads what it holds.
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
