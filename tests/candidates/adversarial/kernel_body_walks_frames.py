# problem: wide_softmax
# expect: rejected
# names: reading interpreter frames
# class: extraction / replay (a kernel body that is Python on the interpreter)
# trick: the body passes the replay's body check (no import, no lambda, no denied attribute
# name): `inspect` comes from triton.runtime.interpreter, and frame attributes (f_back, f_locals)
# are not on the denied list. Under the interpreter it walks up to the launcher's frame, takes
# the launch's own torch tensors and writes softmax(x) into the output with tensor methods;
# the replay process runs it like any kernel
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime.interpreter import inspect


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    f = inspect.currentframe()
    while "args_dev" not in f.f_locals:
        f = f.f_back
    a = list(f.f_locals["args_dev"]) + list(f.f_locals["kwargs"].values())
    a[1].copy_(a[0].softmax(-1))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_kernel[(1,)](x, out, x.shape[1], BLOCK=16)
        return out
