# problem: wide_softmax
# expect: compile_error
# names: inspect is not a kernel parameter
# class: extraction (names that pass the body check) / 7 (a body that is not Triton)
# trick: `inspect` and `np` imported from triton.runtime.interpreter (a "triton" module, so
# the extractor keeps the import); in the body the interpreter's NumPy array is reached with
# inspect.getattr_static and a string (no denied attribute in sight) and the softmax is done
# in NumPy in place (ufuncs only: NumPy's lazily imported helpers meet the replay's import filter)
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime.interpreter import inspect, np


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf"))
    a = inspect.getattr_static(inspect.getattr_static(x, "han" + "dle"), "da" + "ta")
    e = np.exp(a - np.maximum.reduce(a))
    np.copyto(a, np.divide(e, np.add.reduce(e)), casting="unsafe")
    tl.store(out_ptr + row * cols + offs, x, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
