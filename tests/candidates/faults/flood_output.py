# Writes 50 MB to stdout and 50 MB to stderr, marking where each begins and ends, then
# answers correctly.
import os

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


CHUNK = b"x" * 1023 + b"\n"


class ModelNew(nn.Module):
    def forward(self, x):
        os.write(1, b"FLOOD-HEAD\n")
        for fd in (1, 2):
            for _ in range(50 * 1024):
                os.write(fd, CHUNK)
        os.write(2, b"FLOOD-TAIL\n")
        return scale_shift(x)
