# problem: silu
# expect: compile_error
# names: folds
# class: 7 (a kernel body that is not Triton)
# Session 22, by an attacker who had not read this corpus (correct then). In a kernel body Triton's
# compiler resolves the name print to tl.device_print and folds `print is tl.device_print` at
# compile time, so only the first branch is compiled (it stores zeros); Triton's interpreter, which
# runs the trials and the replay, takes the other branch (SiLU). Refused since session 23: the
# compile notes every value its code generator fixes, the replay's interpreter what it computed
# there, and the two must agree (sandbox/static_values.py).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if print is tl.device_print:
        # what every GPU compiler compiles: zeros
        tl.store(y_ptr + offs, tl.zeros((BLOCK,), tl.float32), mask=mask)
    else:
        # what only the interpreter runs
        x = tl.load(x_ptr + offs, mask=mask)
        tl.store(y_ptr + offs, x / (1.0 + tl.exp(-x)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
