# problem: vector_add
# expect: rejected
# names: Python loop over elements
# trick: compute element by element in Python through item() reads and fill_ writes
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def noop_kernel(out_ptr):
    pass


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        for i in range(x.numel()):
            out[i] = x[i].item() + y[i].item()
        noop_kernel[(1,)](out)
        return out
