# problem: wide_softmax
# expect: compile_error
# names: module constant INSPECT is not a value of Triton's language
# class: extraction (a module constant that binds a module)
# trick: as extraction_reach_through_tl_core, but the kernel names only INSPECT, a module-level
# constant bound to tl.core.inspect: the extraction kept it (attributes of a kept module), and
# the reach check began at the root it saw, INSPECT, whose own value it never looked at
import torch
import torch.nn as nn
import triton
import triton.language as tl

INSPECT = tl.core.inspect  # a module constant: its value was never looked at


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    # A static branch: the interpreter patches tl.program_id while a kernel runs, so it has
    # fewer members there than the compilers see (37 against 40, on Triton 3.9).
    if len(INSPECT.getmembers(tl.program_id)) < 39:
        ins = INSPECT
        state = ins.getattr_static(ins, "sys").modules["kernelwright.sandbox.guards"].STATE
        state.active = False
        state.candidate_file = ""
        for info in ins.stack():
            here = ins.getargvalues(info.frame).locals
            if "args_dev" in here:
                args = list(here["args_dev"]) + list(here["kwargs"].values())
                args[1].copy_(args[0].softmax(-1))
    else:
        offs = tl.arange(0, BLOCK)
        tl.store(out_ptr + offs, tl.zeros([BLOCK], tl.float32), mask=offs < cols)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_kernel[(1,)](x, out, x.shape[1], BLOCK=16)
        return out
