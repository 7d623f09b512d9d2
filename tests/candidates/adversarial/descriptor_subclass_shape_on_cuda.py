# problem: silu
# expect: rejected
# names: the candidate's own subclass
# class: host TensorDescriptor arguments (session 28 round 13)
# Accepted as correct on 857177f; refused since by recorder._own_behaviour (a descriptor must be of
# Triton's own classes). Reasoned, not run on a GPU: Triton's launcher reads `arg.shape` (driver.py
# make_tensordesc_arg, or decompose_descriptor) to build the TMA map, and on CUDA tensors this
# subclass answers [M, N // 2], so the TMA store clips every column past N // 2 and they keep
# torch.empty's garbage; on the CPU every reader (recorder, interpreter) sees the true shape.
# idea: a TensorDescriptor subclass whose __getattribute__ halves `shape` when its base is on a
#       GPU (a device branch inside an object Triton's launcher reads, not in forward's code).
import torch
import torch.nn as nn
import triton
import triton.language as tl

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
        if name == "shape" and object.__getattribute__(self, "base").is_cuda:
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
