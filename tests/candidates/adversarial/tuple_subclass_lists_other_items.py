# problem: silu
# expect: rejected
# names: redefines __getitem__, __iter__, __len__
# class: tuple kernel arguments (session 28 round 13)
# Accepted as correct on 857177f (the recorder and the interpreter iterate the tuple and see
# (n, 1.0)); refused since by recorder._own_behaviour: a tuple argument of a subclass that
# redefines how it is read is not taken. Not run on a GPU; measured on the host side of a launch:
# Triton 3.9's native_specialize_impl of this object gives ('constexpr', 'fp32') with the value 1
# (it reads the tuple's own items, (1, 1.0)), so the kernel a GPU runs has n folded to 1 and
# writes y[0] alone; the launcher's PySequence_Fast would pass the listed items, but n is no
# longer a parameter by then.
# idea: a tuple subclass holding (1, 1.0) whose __iter__/__getitem__/__len__ list (n, 1.0): the
#       launch log and the interpreter see the honest sizes, Triton's specialisation the held ones.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, t, BLOCK: tl.constexpr):
    n = t[0]
    k = t[1]
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = x / (1.0 + tl.exp(-x)) * k
    tl.store(y_ptr + offs, y, mask=mask)


class _Sizes(tuple):
    """A tuple that holds one pair and lists another."""

    def __new__(cls, held, listed=None):
        held = tuple(held)
        self = super().__new__(cls, held)
        self.listed = held if listed is None else listed
        return self

    def __iter__(self):
        return iter(self.listed)

    def __getitem__(self, i):
        return self.listed[i]

    def __len__(self):
        return len(self.listed)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, _Sizes((1, 1.0), (n, 1.0)), BLOCK=BLOCK)
        return y
