# problem: silu
# style: host-side tensor descriptors (triton.tools.tensor_descriptor.TensorDescriptor, Triton 3.4+)
# built in forward and passed to the kernel, which loads and stores whole blocks through them (the
# ragged last block bounds-checked against the descriptor's shape)
# A false reject found in session 27 (rejected: "the launch of silu_kernel took a value of type
# TensorDescriptor"); fixed by logging a host descriptor by its fields (launchlog.Desc), replayed as
# a real TensorDescriptor over a buffer that holds its whole shape, compiled as Triton's tensordesc.
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor


@triton.jit
def silu_kernel(x_desc, y_desc, BLOCK: tl.constexpr):
    start = tl.program_id(0) * BLOCK
    x = x_desc.load([start])
    y_desc.store([start], x * tl.sigmoid(x))


class ModelNew(nn.Module):
    def forward(self, x):
        flat = x.contiguous().view(-1)
        y = torch.empty_like(flat)
        x_desc = TensorDescriptor.from_tensor(flat, block_shape=[1024])
        y_desc = TensorDescriptor.from_tensor(y, block_shape=[1024])
        silu_kernel[(triton.cdiv(flat.numel(), 1024),)](x_desc, y_desc, BLOCK=1024)
        return y.view(x.shape)
