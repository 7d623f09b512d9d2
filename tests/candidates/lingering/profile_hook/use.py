# problem: wide_softmax
# expect: incorrect
# names: NaN where the reference has a number | the output was never written | is not what its launches compute | of elements are wrong
# class: 4 (state that outlives a candidate)
# trick: run after plant.py on the same worker: a model with an `assisted` flag and a kernel
# that does nothing; the planter's profile hook writes the answer after forward returns
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    assisted = True

    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[(1,)](out)
        return out
