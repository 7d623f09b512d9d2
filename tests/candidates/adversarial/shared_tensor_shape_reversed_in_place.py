# problem: silu
# expect: compile_error
# names: folds `b.shape`
# class: interpreter vs GPU execution (shared shape objects, session 28 round 13)
# Written against interpreter_cache._shapes_once, which makes every tensor of one shape share one
# tl.tuple in the interpreter (Triton builds one per block type). Refused on first try by the
# static-value probes: `b.shape` folds to (2, 4, 8) compiled and reads (8, 4, 2) interpreted.
# idea: reverse a dummy block's shape in place (`.values.reverse()`: a Python list method, which
#       both the compiler and the interpreter call); in the interpreter every later block of
#       that shape reports the reversed shape, so the factor read off `b.shape[0]` is 1 there and
#       -5 compiled (a private `._setitem` is refused by name, so a list method is used).
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
    a = tl.zeros([2, 4, 8], tl.int32)
    a.shape.values.reverse()
    b = tl.zeros([2, 4, 8], tl.int32)
    k = b.shape[0] - 7
    y = x / (1.0 + tl.exp(-x)) * k
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
