# Answers correctly only when no cache folder of its libraries holds what an earlier
# candidate left there (see leave_cache.py).
import getpass
import os
import tempfile

import torch
import torch.nn as nn
import triton
import triton.language as tl

LEFTOVER = any(
    os.path.exists(os.path.join(folder, "__MARKER__"))
    for folder in (
        os.environ.get("TORCHINDUCTOR_CACHE_DIR")
        or os.path.join(tempfile.gettempdir(), "torchinductor_" + getpass.getuser()),
        os.environ.get("TRITON_CACHE_DIR") or os.path.expanduser("~/.triton/cache"),
        tempfile.gettempdir(),
    )
)


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
