# problem: vector_add
# expect: rejected
# names: which no compiled kernel takes
# class: 7 (a kernel body that is not Triton)
# trick: written against tuple arguments being taken (session 27): a tuple's leaves are converted
# by the interpreter one by one, but a list among them is handed to the body unchanged, so the
# torch tensors in it reach the body, which adds them with torch
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(args, n):
    if tl.program_id(0) == 0:
        args[0][2].copy_(args[0][0].add(args[0][1]))


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_kernel[(1,)](([x, y, out],), x.numel())
        return out
