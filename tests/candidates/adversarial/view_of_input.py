# problem: transpose_copy
# expect: rejected
# names: (a view of) an input
# trick: return a transposed view of the input, moving no data, with a no-op launch
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def noop_kernel(x_ptr):
    pass


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return x.t()
