# problem: vector_add
# expect: rejected
# names: which no compiled kernel takes
# class: 7 (a kernel body that is not Triton)
# trick: tensors passed in a Python list to a plain (not constexpr) parameter: the interpreter
# converts a tensor or a tuple of them to pointers but returns a list unchanged, so the body
# gets the torch tensors and adds them with torch
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(tensors):
    if tl.program_id(0) == 0:
        tensors[2].copy_(tensors[0].add(tensors[1]))


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_kernel[(1,)]([x, y, out])
        return out
