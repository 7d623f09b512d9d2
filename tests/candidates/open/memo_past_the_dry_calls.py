# problem: silu
# expect: incorrect
# names: every call must compute from its own inputs
# class: state unchanged (a forward that changes behaviour after some number of calls)
# OPEN: a known false accept on the CPU (session 29, written against its own rule). Forward
# returns the output it kept for a shape from its eleventh call on. The CPU calls forward twice
# per shape set, and DRY_CALLS (8) times more, dry, in a copy of the process (worker.
# _dry_forwards): any fixed count is one an attacker can count past. On a GPU the timed calls
# (rotating inputs, every output checked, timed_calls.py) refuse it. The rule that would close
# it on the CPU: none bounded by a budget; more dry calls raise the count, not the class.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0
        self.kept = {}

    def forward(self, x):
        self.calls += 1
        key = tuple(x.shape)
        if self.calls > 10 and key in self.kept:
            return self.kept[key]
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        self.kept[key] = y
        return y
