# Leaves state behind in its process for whatever candidate runs there next: a global
# forward hook on every nn.Module and a marker in torch's namespace. A warm worker that ran
# candidate after candidate handed both to the next one (a hook there could compute its
# answer); a fresh fork per candidate hands nothing on. Answers correctly itself.
import torch
import torch.nn as nn
import triton
import triton.language as tl

torch.__dict__["kw_left_behind"] = True
torch.nn.modules.module.register_module_forward_hook(lambda module, args, out: out)


@triton.jit
def _scale_shift(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 2.0 * x + 1.0, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _scale_shift[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
