# Answers correctly only when nothing an earlier candidate left is in its process: no marker
# in torch's namespace, no global forward hook (see leave_state.py).
import torch
import torch.nn as nn
import triton
import triton.language as tl

LEFTOVER = "kw_left_behind" in torch.__dict__ or bool(torch.nn.modules.module._global_forward_hooks)


@triton.jit
def _scale_shift(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 2.0 * x + 1.0, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        if LEFTOVER:
            return torch.zeros_like(x)
        y = torch.empty_like(x)
        _scale_shift[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
