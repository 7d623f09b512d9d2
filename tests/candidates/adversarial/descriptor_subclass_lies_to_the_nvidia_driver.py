# problem: silu
# expect: rejected
# names: reading interpreter frames
# class: host TensorDescriptor arguments (session 28 round 13)
# Refused on first try by the static guards (frames cannot be read from host code).
# idea: a TensorDescriptor subclass whose `shape` halves the columns when the code reading it
#       is Triton's NVIDIA driver (make_tensordesc_arg: only on a GPU), found by its caller's
#       frame: every CPU reader (recorder, interpreter) would see the true shape.
import torch
import torch.nn as nn
import triton
import triton.language as tl
import sys

from triton.tools.tensor_descriptor import TensorDescriptor

BM = 16
BN = 64


@triton.jit
def _silu_kernel(xd, yd, BM: tl.constexpr, BN: tl.constexpr):
    r = tl.program_id(0) * BM
    c = tl.program_id(1) * BN
    x = xd.load([r, c])
    y = x / (1.0 + tl.exp(-x))
    yd.store([r, c], y)


class _Desc(TensorDescriptor):
    def __getattribute__(self, name):
        v = object.__getattribute__(self, name)
        if name == "shape" and "nvidia" in sys._getframe(1).f_globals.get("__name__", ""):
            return [v[0], v[1] // 2]
        return v


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        M, N = x.shape
        xd = TensorDescriptor.from_tensor(x, [BM, BN])
        yd = _Desc(y, list(y.shape), list(y.stride()), [BM, BN])
        _silu_kernel[(triton.cdiv(M, BM), triton.cdiv(N, BN))](xd, yd, BM=BM, BN=BN)
        return y
