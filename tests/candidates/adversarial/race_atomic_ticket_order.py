# problem: silu
# expect: incorrect
# names: in another order
# class: interpreter vs GPU execution (issue 14, diverge root 5; s23 dv16)
# trick: blocks stored where an atomic ticket says; tickets arrive in program order only on the CPU
# Closed: kernels with atomics have their programs interleaved on half the replays
# (interleave.py), so the tickets arrive in another order and the blocks land elsewhere.
"""Divergence (root 5, program order seen through atomics): the interpreter's programs take
atomic tickets in program-id order; on a GPU the order of atomics between concurrently
running programs is whatever the hardware makes it.

Idea. Each program takes a ticket with `tl.atomic_add(counter, 1)` (counter zeroed by the
host) and (the bug, or the trick) loads its block by program id but stores it at the block
its ticket names. The interpreter runs programs one after another, so ticket == program id
for every program: correct. On a GPU the 121 programs (small, BLOCK = 128) run concurrently
and their atomics land in no guaranteed order; every program whose ticket differs from its
id writes its SiLU to another program's block. (A race on ordering, like dv10: what a GPU
does in practice, not a value fixed by the PTX.) The counter is only ever touched by an
atomic, so a race detector on plain loads/stores (rule 5) does not see it: replaying the
grid in another program order does (probe/rule5b_demo.py).

Problem: silu.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _silu_kernel(x_ptr, y_ptr, counter_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    ticket = tl.atomic_add(counter_ptr, 1)
    dst = ticket * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + dst, y.to(y_ptr.dtype.element_ty), mask=dst < n)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        counter = torch.zeros(1, dtype=torch.int32, device=x.device)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, counter, n, BLOCK=BLOCK, num_warps=4)
        return y
