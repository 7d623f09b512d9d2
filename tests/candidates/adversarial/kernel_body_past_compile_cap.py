# problem: vector_add
# expect: rejected
# names: distinct signatures
# class: 7 (a kernel body that is not Triton)
# trick: only the first 32 distinct launch records were compiled for GPU targets; 32 launches
# of a do-nothing kernel with 32 different constexprs come first, so the launch whose body
# only the interpreter runs (torch on tensors passed as constexprs) is never compiled
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def warm_kernel(out_ptr, K: tl.constexpr):
    offs = tl.arange(0, 1)
    tl.store(out_ptr + offs, tl.load(out_ptr + offs), mask=offs < K)


@triton.jit
def add_kernel(X: tl.constexpr, Y: tl.constexpr, OUT: tl.constexpr):
    if tl.program_id(0) == 0:
        OUT.copy_(X.add(Y))


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        for k in range(32):
            warm_kernel[(1,)](out, K=k)
        add_kernel[(1,)](x, y, out)
        return out
