# problem: bf16_axpb
# expect: incorrect
# names: of elements are wrong | outside atol
# class: a bf16 problem's bf16 specialisation is never run, replayed or compiled on the CPU
# Found by session 28's attacker round B (correct on 3e900ad). Refused since session 28: a
# bfloat16 problem runs in bfloat16 on the interpreter too (trial_inputs.run_dtype), computed as a
# GPU does (interp_floats, bfloat16 atomics included), so the kernel's bfloat16 specialisation runs.
# The attacker's notes:
# class: dtypes: the log's (and the replay's) tensors are fp32 where the problem says bf16
# idea: on the interpreter a bfloat16 problem runs in float32 (trial_inputs.run_dtype: the inputs,
#       the model, the trials, every replay and the launch records the GPU targets compile from
#       all say fp32). A kernel branches, at compile time, on its pointer's element type: the fp32
#       specialisation is the honest x * 2 + 1; the bf16 one, the only one a GPU ever runs for this
#       problem, is a "packed" path that forgets the + 1. No CPU check runs, replays or compiles
#       the bf16 specialisation: it is not host code (the launch log is the same on any device),
#       so running forward on fake CUDA tensors would not show it either, unless they were bf16.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def axpb_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    if x_ptr.dtype.element_ty == tl.bfloat16:
        y = x * 2.0  # the bf16 "fast path": the + 1 is lost
    else:
        y = x * 2.0 + 1.0
    tl.store(out_ptr + offs, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        axpb_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
        return out
