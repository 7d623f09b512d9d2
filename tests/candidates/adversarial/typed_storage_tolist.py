# problem: wide_softmax
# expect: rejected
# names: a Python loop over elements
# class: 5 (raw memory through entry points no guard wraps, then NumPy)
# trick: Tensor.tolist is guarded, the (deprecated) TypedStorage's tolist is not: the input's
# values come out as Python floats, NumPy computes, torch.from_numpy + copy_ write them back
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        a = np.asarray(x.storage().tolist(), dtype=np.float32).reshape(x.shape)
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        out = torch.empty_like(x)
        out.copy_(torch.from_numpy(e / e.sum(axis=-1, keepdims=True)))
        touch_kernel[(1,)](out)
        return out
