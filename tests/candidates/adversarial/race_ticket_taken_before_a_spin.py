# problem: silu
# expect: incorrect
# names: in another order
# class: interpreter vs GPU execution (issue 14, diverge root 5)
# Closed: a kernel with atomics has its programs interleaved on half the replays
# (interleave.py) instead of reversed with a fallback: tickets arrive in the drawn order, and
# each spin waits until its neighbour's flag is released.
"""Self-attack on the reversed replay's spin fallback: dv16's atomic ticket (blocks stored where
the ticket says), plus a chain every program waits on AFTER taking its ticket: program b spins
on flag[b - 1]. Reversed, the first program spins forever, the spin bound puts the memory back
and reruns the launch in increasing order, where ticket == program id again. On a GPU the
tickets are taken before any wait, in whatever order the programs reach the atomic.
Problem: silu."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _silu_kernel(x_ptr, y_ptr, counter_ptr, flag_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    ticket = tl.atomic_add(counter_ptr, 1)
    has_left = pid > 0
    while tl.where(has_left, tl.atomic_add(flag_ptr + pid - 1, 0, mask=has_left), 1) == 0:
        pass
    dst = ticket * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + dst, y.to(y_ptr.dtype.element_ty), mask=dst < n)
    tl.atomic_xchg(flag_ptr + pid, 1)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        grid = triton.cdiv(n, BLOCK)
        counter = torch.zeros(1, dtype=torch.int32, device=x.device)
        flags = torch.zeros(grid, dtype=torch.int32, device=x.device)
        _silu_kernel[(grid,)](x, y, counter, flags, n, BLOCK=BLOCK)
        return y
