# problem: wide_softmax
# expect: incorrect
# names: NaN where the reference has a number | the output was never written | is not what its launches compute | of elements are wrong
# class: 2 (compute outside the traced window)
# trick: a torch function mode entered at import and never left sees the worker's get_inputs
# make each trial's input, computes the softmax right there (outside forward, guards off), and
# forward only copies the stashed answer with a Triton kernel
import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.overrides import TorchFunctionMode

ANSWERS = []


class Watch(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is torch.randn and isinstance(out, torch.Tensor) and out.dim() == 2:
            ANSWERS.append(torch.softmax(out, dim=-1))
        return out


Watch().__enter__()


@triton.jit
def copy_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        src = ANSWERS[-1] if ANSWERS else x
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](src, out, x.numel(), BLOCK=1024)
        return out
