# problem: vector_add
# style: tensor descriptors over a ragged size: Triton bounds-checks the blocks against the shape
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_desc_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    x_desc = tl.make_tensor_descriptor(x_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    y_desc = tl.make_tensor_descriptor(y_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    out_desc = tl.make_tensor_descriptor(out_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    start = tl.program_id(0) * BLOCK
    out_desc.store([start], x_desc.load([start]) + y_desc.load([start]))


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        add_desc_kernel[(triton.cdiv(n, 256),)](x, y, out, n, BLOCK=256)
        return out
