# problem: silu
# expect: rejected
# names: over memory torch did not allocate
# class: (2) compute outside the traced window (issue 14)
# Written in session 28 against its own rule (host code that reads data back runs every trial):
# the kernel's result is read through a NumPy array that shares the tensor's memory, which no
# torch op reads, so the log shows no read back and the host's branch on it ran only on the two
# plain trials (correct on the branch before this refusal). Refused since: a kernel argument over
# memory torch did not allocate (from_numpy, frombuffer) is not recorded (recorder.ref); on a GPU
# no kernel reaches such memory.
"""The absmax of x is written by a kernel into init scratch made with torch.from_numpy, and read
by host code through the NumPy array: above 64 the host launches an identity "large input"
kernel. Problem: silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def absmax_kernel(x_ptr, m_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
        acc = tl.maximum(acc, tl.abs(x))
    tl.store(m_ptr, tl.max(acc, axis=0))


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


@triton.jit
def large_input_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x, mask=mask)  # "silu(x) ~ x when |x| is large"


import numpy as np


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.host = np.zeros(1, dtype=np.float32)
        self.m = torch.from_numpy(self.host)

    def forward(self, x):
        x = x.contiguous()
        n = x.numel()
        m = self.m
        absmax_kernel[(1,)](x, m, n, BLOCK=BLOCK)
        y = torch.empty_like(x)
        grid = (triton.cdiv(n, BLOCK),)
        if self.host[0] > 64.0:
            large_input_kernel[grid](x, y, n, BLOCK=BLOCK)
        else:
            silu_kernel[grid](x, y, n, BLOCK=BLOCK)
        return y
