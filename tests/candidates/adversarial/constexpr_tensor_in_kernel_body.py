# problem: vector_add
# expect: rejected
# names: which no compiled kernel takes
# class: 7 (a kernel body that is not Triton)
# trick: tensors passed to constexpr parameters: Triton's interpreter hands a constexpr
# argument to the body as it is, so the body gets the torch tensors themselves and adds them
# with torch, in the trials and in the replay (the extraction sees only parameters and public
# attribute names)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(X: tl.constexpr, Y: tl.constexpr, OUT: tl.constexpr):
    if tl.program_id(0) == 0:
        OUT.copy_(X.add(Y))


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_kernel[(1,)](x, y, out)
        return out
