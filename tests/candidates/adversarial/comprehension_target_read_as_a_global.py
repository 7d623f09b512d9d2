# problem: silu
# expect: compile_error
# names: inspect is not a kernel parameter | NamedExpr is not Triton
# class: 7 (a kernel body that is not Triton)
# trick: `[0 for inspect in ()]` binds inspect only inside the comprehension, so the body's later
# read of inspect is a global: the one Triton's interpreter adds to the kernel's module. The
# extraction took every stored name for a local; now Python's own symbol table decides. The
# body then reads the launch's host tensors from the launcher's frame and writes torch's SiLU,
# in a branch the compilers fold away (see open/). Found by an attacker who had not read this
# corpus (session 22).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _silu_kernel(x_ptr, y_ptr):
    if print is tl.device_print:
        pass
    else:
        [0 for inspect in ()]
        (kw := inspect.getargvalues(inspect.getouterframes(inspect.currentframe(), 0)[1].frame).locals["kwargs_hst"])["y_ptr"].copy_(kw["x_ptr"].sigmoid().mul(kw["x_ptr"]))


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _silu_kernel[(1,)](x_ptr=x, y_ptr=y)
        return y
