# problem: transpose_copy
# expect: rejected
# names: data no kernel wrote
# class: 6 (allowed host ops doing the whole job)
# trick: the output is a transposed strided view of a host clone of the input: no element is
# moved by a kernel, and it shares no memory with the input
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        m, n = x.shape
        out = x.clone().as_strided((n, m), (1, n))
        touch_kernel[(1,)](out)
        return out
