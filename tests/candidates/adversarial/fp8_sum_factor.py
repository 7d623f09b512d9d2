# problem: silu
# expect: compile_error
# names: does not compile for any GPU target
# class: float8 in the interpreter (session 28 round 13)
# Refused on first try by the sm_90 compile: tl.sum of float8 is an addf on f8E4M3FN that
# ConvertTritonGPUToLLVM cannot lower (llvm.fadd on i8); interp_floats sums it in float32.
# idea: a factor of 1.0 computed as tl.sum of sixteen float8 0.0625s: the interpreter sums them
#       exactly (in float32, rounded once); on a GPU the kernel does not build at all.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, s_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    k = 1.0
    f = tl.full([16], 0.0625, tl.float8e4nv)
    k = tl.sum(f, 0).to(tl.float32)
    y = x / (1.0 + tl.exp(-x)) * k
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        s = torch.zeros(16, dtype=torch.float8_e4m3fn, device=x.device)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, s, n, BLOCK=BLOCK)
        return y
