# problem: silu
# expect: compile_error
# names: Python and Triton give this text different meanings
# class: interpreter vs GPU execution (shared shape objects, session 28 round 13)
# Written against interpreter_cache._shapes_once (block types of one shape share one shape tuple
# in the interpreter). Refused on first try: the probes compare each value's type, and
# `tl.sum(b, 0)` is <[8], fp32> compiled, <[1], fp32> interpreted.
# idea: reverse a dummy (1, 8) block TYPE's shape in place (`a.type.shape.values.reverse()`);
#       no kernel expression reads a shape, but the interpreter's splat of `tl.full([1, 8])`
#       builds its data from the (now shared, reversed) block type, an (8, 1) block: summing
#       over axis 0 then gives 8 there and 1 compiled, a factor of 1 against -6.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, s_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    k = 1.0
    a = tl.zeros([1, 8], tl.float32)
    a.type.shape.values.reverse()
    b = tl.full([1, 8], 1.0, tl.float32)
    k = tl.max(tl.sum(b, 0), 0) - 7.0
    y = x / (1.0 + tl.exp(-x)) * k
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        s = torch.zeros(16, dtype=torch.float8_e4m3fn, device=x.device)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, s, n, BLOCK=BLOCK)
        return y
