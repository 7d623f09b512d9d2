# problem: silu
# expect: rejected
# names: launch without launch_pdl
# class: interpreter vs GPU execution (issue 14, order between launches; attack2 a12)
# Closed: a launch with launch_pdl=True is refused by the replay (replay.py): run one launch
# after the other, the CPU cannot check what it reads of the launch before. Correct on main a9901fc.
# attack: two launches, the second with launch_pdl=True (programmatic dependent launch, SM90+):
# the second never calls gdc_wait(), which is what makes the first kernel's stores visible to a
# PDL-launched kernel (CUDA: cudaGridDependencySynchronize) and what keeps it from running ahead.
# (v1 also called gdc_launch_dependents() first thing in the first kernel: the interpreter
# cannot run it, `compile_error`.) races.py: "races between launches (a
# launch ends before the next begins, on a GPU too)": not with PDL.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sigmoid_kernel(x_ptr, s_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(s_ptr + offs, tl.sigmoid(x), mask=offs < n)


@triton.jit
def mul_kernel(x_ptr, s_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    s = tl.load(s_ptr + offs, mask=offs < n, other=0.0)
    tl.store(y_ptr + offs, x * s, mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel()
        s = torch.empty_like(x)
        y = torch.empty_like(x)
        grid = (triton.cdiv(n, 1024),)
        sigmoid_kernel[grid](x, s, n, BLOCK=1024)
        mul_kernel[grid](x, s, y, n, BLOCK=1024, launch_pdl=True)
        return y
