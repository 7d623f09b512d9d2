# problem: wide_softmax
# class: 4 (state that outlives a candidate)
# trick: the first candidate leaves a profile hook on the worker's main thread (installed by a
# name built at run time); in every later job, when the traced forward of a model that asks for
# help returns, the hook fills its output with torch.softmax, outside the op trace
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl


def _hook(frame, event, arg):
    if event == "return" and frame.f_code.co_name == "_traced_forward":
        model = getattr(frame, "f_lo" + "cals").get("model")
        if getattr(model, "assisted", False) and isinstance(arg, torch.Tensor):
            arg.copy_(torch.softmax(getattr(frame, "f_lo" + "cals")["args"][0], dim=-1))


getattr(sys, "set" + "pro" + "file")(_hook)


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * cols + offs, e / tl.sum(e, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
