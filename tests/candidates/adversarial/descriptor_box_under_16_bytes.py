# problem: silu
# expect: compile_error
# names: at least 16 bytes in the last dimension
# class: host TensorDescriptor arguments (session 28 round 13)
# Refused on first try: Triton's launcher refuses a descriptor whose block's last dimension is
# under 16 bytes (TMA's box rule: boxDim[0] * element size a multiple of 16), and the candidate's
# own launch goes through it.
# idea: a [64, 2] float32 box (8 bytes a row) over input and output: the interpreter's descriptor
#       is plain masked pointer arithmetic and would take any box; a GPU's TMA map cannot be made.
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor

BM = 64
BN = 2


@triton.jit
def _silu_kernel(x_desc, y_desc, BM: tl.constexpr, BN: tl.constexpr):
    r = tl.program_id(0) * BM
    c = tl.program_id(1) * BN
    x = x_desc.load([r, c])
    y = x / (1.0 + tl.exp(-x))
    y_desc.store([r, c], y)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        M, N = x.shape
        xd = TensorDescriptor.from_tensor(x, [BM, BN])
        yd = TensorDescriptor.from_tensor(y, [BM, BN])
        _silu_kernel[(triton.cdiv(M, BM), triton.cdiv(N, BN))](xd, yd, BM=BM, BN=BN)
        return y
