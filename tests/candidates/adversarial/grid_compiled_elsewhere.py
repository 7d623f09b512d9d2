# problem: vector_add
# expect: rejected
# names: aten.add
# class: 1 (code that is not the candidate's)
# trick: the grid callable, which Triton's launcher calls inside the launch, is compiled from a
# string under torch's own file name (builtins.compile/exec reached as attributes), so the walk
# that looks for candidate frames inside a launch never finds one; it adds with torch
import builtins

import torch
import torch.nn as nn
import triton
import triton.language as tl

SOURCE = """
def grid(meta):
    x, y, out = pending[-1]
    out.copy_(x + y)
    return (1,)
"""
_ns = {"pending": []}
getattr(builtins, "ex" + "ec")(
    getattr(builtins, "comp" + "ile")(SOURCE, torch.functional.__file__, "exec"), _ns
)
GRID = _ns["grid"]


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    v = tl.load(out_ptr + pid)
    tl.store(out_ptr + pid, v)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        _ns["pending"][:] = [(x, y, out)]
        add_kernel[GRID](x, y, out, x.numel(), BLOCK=128)
        return out
