# problem: wide_softmax
# expect: compile_error
# names: softmax_helper
# class: 4 (state that outlives a candidate)
# trick: run after plant.py on the same worker: calls the builtin the planter left, whose thread
# computes the answer; the candidate's own kernel does nothing
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_helper(x, out)  # noqa: F821 (left in builtins by the previous candidate)
        touch_kernel[(1,)](out)
        return out
