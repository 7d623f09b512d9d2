# problem: wide_softmax
# expect: rejected
# names: a tensor made outside forward
# trick: call the softmax kernel below the Python dispatch key, where dispatch modes never see
# it, through an op method reached by a name built at run time
# (no run-time guard watches torch's switches any more: what the trace does not see
# the log does not hold, and the replay finds an output made outside forward)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def nop_kernel(out_ptr):
    pass


_keys = getattr(torch._C, "Dis" + "patchKeySet")
_key = getattr(torch._C, "Dis" + "patchKey")
_softmax = torch.ops.aten._softmax.default
_below = getattr(_softmax, "re" + "dis" + "patch")


class ModelNew(nn.Module):
    def forward(self, x):
        out = _below(_keys(_key.CPU), x, -1, False)
        nop_kernel[(1,)](out)
        return out
