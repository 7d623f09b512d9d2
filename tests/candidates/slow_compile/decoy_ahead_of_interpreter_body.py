# expect: timeout
# trick: a decoy kernel launched over an empty grid (nothing runs, on the interpreter or in the
# replay) unrolls thousands of operations, so its ahead-of-time compile runs out of time; the
# compile child takes the records in launch order, so the kernel that does the work (its body
# leaves a loop with `break`, which only the interpreter runs) would never be compiled
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def decoy_kernel(x_ptr, n, STEPS: tl.constexpr):
    offs = tl.arange(0, 1024)
    acc = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    for _ in tl.static_range(STEPS):
        acc = tl.sqrt(acc * acc + 1.0) - tl.exp(acc * 0.5)
    tl.store(x_ptr + offs, acc, mask=offs < n)


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    acc = x
    for i in range(4):
        if i == 1:
            break
        acc = acc + y
    tl.store(out_ptr + offs, acc, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        decoy_kernel[(0,)](out, n, STEPS=4000)
        add_kernel[(triton.cdiv(n, 256),)](x, y, out, n, BLOCK=256)
        return out
