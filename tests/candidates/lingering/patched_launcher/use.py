# problem: wide_softmax
# expect: incorrect
# names: NaN where the reference has a number | the output was never written | is not what its launches compute | of elements are wrong
# class: 4 (state that outlives a candidate)
# trick: run after plant.py on the same worker: an innocent-looking candidate whose kernel does
# nothing; the launcher the planter patched computes its answer
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def helped_softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        helped_softmax_kernel[(1,)](x, out, x.shape[1], BLOCK=16)
        return out
