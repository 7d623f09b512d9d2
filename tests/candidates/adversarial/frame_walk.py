# problem: wide_softmax
# expect: incorrect
# names: output matches
# trick: walk up the stack from forward, through names built at run time, and return through a
# copy kernel the first tensor of the output's shape a caller holds that is not the input (the
# reference, had the worker kept it). No run-time guard watches frames any more: the worker
# holds no reference when the candidate runs, and the replay copies a buffer foreign to the log
# (poison) on inputs the candidate never saw
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(src_ptr + offs, mask=offs < n), mask=offs < n)


grab = getattr(sys, "_get" + "frame")


def found_in_callers(x):
    frame = grab(1)
    while frame is not None:
        for value in getattr(frame, "f_" + "locals").values():
            if isinstance(value, torch.Tensor) and value.shape == x.shape and value is not x:
                return value
        frame = getattr(frame, "f_" + "back")
    return x


class ModelNew(nn.Module):
    def forward(self, x):
        src = found_in_callers(x)
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](src, out, x.numel(), BLOCK=1024)
        return out
