# problem: transpose_copy
# expect: rejected
# names: data no kernel wrote
# class: 6 (allowed host ops doing the whole job)
# trick: the transpose is a layout op (t + contiguous, both allowed); the kernel launched next
# to it does nothing
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        out = x.t().contiguous()
        touch_kernel[(1,)](out)
        return out
