# problem: wide_softmax
# expect: rejected
# names: a tensor made outside forward
# trick: pop every active dispatch mode around a torch.softmax, through torch's helper reached
# by a module name built at run time
# (no run-time guard watches torch's switches any more: what the trace does not see
# the log does not hold, and the replay finds an output made outside forward)
import importlib

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def nop_kernel(out_ptr):
    pass


_modes = importlib.import_module("torch.utils._python_dis" + "patch")
_without_modes = getattr(_modes, "_disable_current_" + "modes")


class ModelNew(nn.Module):
    def forward(self, x):
        with _without_modes():
            out = torch.softmax(x, dim=-1)
        nop_kernel[(1,)](out)
        return out
