# problem: wide_softmax
# expect: rejected
# names: its launch log cannot describe
# trick: hide torch compute inside the launch, in a data_ptr() the launcher calls
# (the op trace no longer walks the stack inside launches to find candidate code: the log
# cannot describe the tensor-like argument, and what runs inside a launch is never replayed)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(out_ptr + offs, mask=offs < n)
    tl.store(out_ptr + offs, x, mask=offs < n)


class Sneaky:
    """Looks like the output tensor to the launcher; computes it with torch when asked."""

    def __init__(self, x, out):
        self.x, self.out = x, out

    def _compute(self):
        self.out.copy_(torch.softmax(self.x, dim=-1))

    def data_ptr(self):
        self._compute()
        return self.out.data_ptr()

    def untyped_storage(self):
        self._compute()
        return self.out.untyped_storage()

    def __getattr__(self, name):
        return getattr(self.out, name)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[(1,)](Sneaky(x, out), 16, BLOCK=16)
        return out
