# problem: silu
# expect: incorrect
# names: output agrees with its launches
# class: tuple kernel arguments (session 28 round 13)
# Refused on first try: the replay folds a tuple leaf equal to 1 as Triton's launcher does
# (native_specialize_impl: constexpr 1), the candidate's own interpreted trial does not, and the
# two outputs differ.
# idea: t = (n, 1): t[1] * 65536 * 32768 wraps to -2**31 in the interpreter's int32 (the lanes
#       kept), while compiled the leaf is the constexpr 1 and the product the Python int 2**31
#       (every lane zeroed on a GPU).
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, t, BLOCK: tl.constexpr):
    n = t[0]
    k = t[1] * 65536 * 32768
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.where((x * 0.0 + k) < 0.0, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, (n, 1), BLOCK=BLOCK)
        return y
