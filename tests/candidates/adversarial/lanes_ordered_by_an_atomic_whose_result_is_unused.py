# problem: silu
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Closed: a scalar atomic orders the threads of a program only where the compiled kernel uses its
# result (the compiler hands it over through shared memory behind a barrier); the replay keeps the
# race it would order aside and the compile's Triton IR (ttir.handed_over) settles it: `ticket` is
# never read, so no barrier, and the mirror races. Self-attack on lane_races.py's first version,
# which took any atomic assigned to a name for a barrier (correct then).
"""The mirror through global scratch (no_barrier_scratch_mirror.py), with an atomic on a flag
between the store and the load whose result is assigned and never read.

Problem: silu.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, s_ptr, y_ptr, flag_ptr, n, BLOCK: tl.constexpr):
    base = tl.program_id(0) * BLOCK
    lane = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + base + lane, mask=base + lane < n, other=0.0)
    tl.store(s_ptr + base + lane, x)
    ticket = tl.atomic_add(flag_ptr, 0)
    mirror = BLOCK - 1 - lane
    v = tl.load(s_ptr + base + mirror)
    tl.store(y_ptr + base + mirror, v * tl.sigmoid(v), mask=base + mirror < n)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel()
        blocks = triton.cdiv(n, 1024)
        scratch = torch.empty(blocks * 1024, device=x.device, dtype=x.dtype)
        y = torch.empty_like(x)
        flag = torch.zeros(1, device=x.device, dtype=torch.int32)
        silu_kernel[(blocks,)](x, scratch, y, flag, n, BLOCK=1024)
        return y
