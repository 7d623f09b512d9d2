# problem: transpose_copy
# expect: rejected
# names: data a host op copied in
# trick: the whole job done by a host layout op (a contiguous copy), with an empty kernel launched on the result
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(x_ptr):
    pass


class ModelNew(nn.Module):
    def forward(self, x):
        out = x.t().contiguous()
        touch_kernel[(1,)](out)
        return out
