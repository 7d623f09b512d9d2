# Raises SIGSEGV in the worker (faulthandler's own test hook) after launching a correct kernel.
# Reached through importlib/getattr so the static guards do not stop it first: these
# candidates test the sandbox behind them.
import importlib

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _scale_shift(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 2.0 * x + 1.0, mask=mask)


def scale_shift(x):
    x = x.contiguous()
    y = torch.empty_like(x)
    _scale_shift[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        y = scale_shift(x)
        importlib.import_module("faulthandler")._sigsegv()
        return y
