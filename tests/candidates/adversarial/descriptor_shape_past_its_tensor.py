# problem: silu
# expect: rejected
# names: a view reaching past the end of its buffer
# class: memory safety (host-side tensor descriptors, written against their being taken, session 27)
# trick: the input's descriptor is given a shape rounded up to whole blocks, past the tensor's end,
# so the last block is never clipped: on a GPU its copy (TMA) reads whatever memory follows the
# tensor (a fault where that is unmapped). The replay builds a descriptor only over a buffer that
# holds its whole shape, before the launch (the bounds check also refuses the read itself, once
# the interpreter makes it). (Rounding the output's shape up too writes past the end: that
# corrupts the candidate's own heap, a crash before any check.)
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor

BLOCK = 1024


@triton.jit
def silu_kernel(x_desc, y_desc, BLOCK: tl.constexpr):
    start = tl.program_id(0) * BLOCK
    x = x_desc.load([start])
    y_desc.store([start], x * tl.sigmoid(x))


class ModelNew(nn.Module):
    def forward(self, x):
        flat = x.contiguous().view(-1)
        y = torch.empty_like(flat)
        whole = triton.cdiv(flat.numel(), BLOCK) * BLOCK
        x_desc = TensorDescriptor(flat, [whole], [1], [BLOCK])
        y_desc = TensorDescriptor.from_tensor(y, [BLOCK])
        silu_kernel[(whole // BLOCK,)](x_desc, y_desc, BLOCK=BLOCK)
        return y.view(x.shape)
