# problem: silu
# expect: compile_error
# names: a loop variable read outside its loop
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Written against the type rule by its author, who had read it (correct on main c0621bd). Refused since:
# a loop variable read outside its loop is refused (kernel_source): compiled, it is the loop region's
# placeholder after the loop (TTIR: `ub.poison`), in Python the last trip's value.
# The idea:
# After a range loop the compiled kernel's i is its value before the loop (the loop's
# variable lives in scf.for's region), Python's the last trip's: same type (int32 tensor), other value.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    i = 0
    for i in range(0, 3):
        x = x + 0.0
    y = tl.where((x * 0.0 + i) == 2.0, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y

