# Leaves a marker in every cache folder its libraries would use: inductor's (a baseline's
# torch.compile on a GPU loads compiled Python from it), Triton's and the temporary folder. A
# later candidate's job in the same sandbox that found one could have been handed code or
# kernels it never wrote; each child has cache folders of its own, swept when it ends.
# Answers correctly itself.
import getpass
import os
import tempfile

import torch
import torch.nn as nn
import triton
import triton.language as tl

for folder in (
    os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    or os.path.join(tempfile.gettempdir(), "torchinductor_" + getpass.getuser()),
    os.environ.get("TRITON_CACHE_DIR") or os.path.expanduser("~/.triton/cache"),
    tempfile.gettempdir(),
):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "__MARKER__"), "w") as f:
        f.write("left by an earlier candidate")


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
