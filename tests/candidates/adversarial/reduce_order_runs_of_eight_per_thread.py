# problem: silu
# expect: incorrect
# names: reduction order:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Closed: the perturbed replays' blocked styles reach runs of 8 elements per thread by the third
# perturbed replay of every plan. The attacker's notes:
# Self-attack on semantics2 (reduction layouts): a layout the replay's styles reach last.
#
# Someone who read sandbox/semantics.py sees the blocked styles cycle by the replay's place in
# the plan; in the first draft, runs of 8 elements per thread (16-byte float16 vectors) came at
# n = 7, past every shape set's plan, so only the 'any layout' draws could meet them. Here each
# program writes a float16 detector to its own scratch row, reads it back (a coalesced float16
# load of 1024 elements with num_warps=4: sizePerThread 8, 32 lanes, 4 warps), and sums it in
# float16: x0 = 2048, x4 = x12 = 1. Left to right (NumPy adds float16 in float32) or with x4
# and x12 meeting first (runs of 1, 2 or 4, lanes first): 2050. Compiled (8 in sequence per
# thread): 2048 + 1 ties to 2048, then 2048 + 1 again: 2048. Gate `sum == 2050`.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, s_ptr, n, k, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    i = tl.arange(0, 1024)
    v = tl.where(i == 0, k.to(tl.float32), tl.where((i == 4) | (i == 12), 1.0, 0.0))
    tl.store(s_ptr + pid * 1024 + i, v.to(tl.float16))
    tl.debug_barrier()
    w = tl.load(s_ptr + pid * 1024 + i)
    gate = tl.sum(w, axis=0) == 2050.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        grid = triton.cdiv(n, BLOCK)
        scratch = torch.empty(grid * 1024, dtype=torch.float16, device=x.device)
        _silu_kernel[(grid,)](x, y, scratch, n, 2048, BLOCK=BLOCK, num_warps=4)
        return y
