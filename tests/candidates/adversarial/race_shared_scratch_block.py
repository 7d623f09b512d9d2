# problem: silu
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14, diverge root 5)
# trick: one scratch block every program writes and reads back (right in any sequential order)
"""Self-attack (the order bullet's "not seen": interleaving): every program writes its block's
SiLU into ONE shared scratch block, reads it back and stores it to its output. Right in any
sequential order (each program writes then reads its own values); on a GPU the programs
overlap and read each other's scratch. Expect: race (two programs store one address).
Problem: silu."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, scratch_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(scratch_ptr + tl.arange(0, BLOCK), x / (1.0 + tl.exp(-x)))
    y = tl.load(scratch_ptr + tl.arange(0, BLOCK))
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        scratch = torch.empty(BLOCK, dtype=torch.float32, device=x.device)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, scratch, n, BLOCK=BLOCK)
        return y
