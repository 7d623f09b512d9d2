# problem: silu
# expect: incorrect
# names: reduction order:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Closed (open on main 87d2aea): the blocked styles lay out the whole tile as Triton does (lanes and
# warps dealt from the fastest dimension, the launch's num_warps). The attacker's notes:
# Self-attack on semantics2 (reduction layouts): a reduction along a tile's slower axis.
#
# Someone who read sandbox/semantics.py (second draft: blocked styles over the reduced axis
# alone, 32 lanes along it) knows a 2D tile's lanes split between its dimensions. A [32, 8]
# tile built in-kernel, summed along axis 0, num_warps=4, compiles (TTGIR, sm_90) to
# #blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1]}>: row bits
# 0-1 are lanes, 2-3 warps, 4 a repeat in registers, so the compiled fold merges row bit 4
# first, then 1, 0 (shfl.bfly), then 3, 2 (across warps). Column 0 holds x0 = 2^24, x1 = 1,
# x2 = 2, x4 = 2 (found by search over the draft's styles): NumPy's sum and every blocked style
# of the draft give 2^24 + 4, the compiled order 2^24 + 6. Gate `s == 2^24 + 4`.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, k, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    r = tl.arange(0, 32)[:, None]
    c = tl.arange(0, 8)[None, :]
    one = tl.where(r == 1, 1.0, tl.where((r == 2) | (r == 4), 2.0, 0.0))
    v = tl.where(c == 0, tl.where(r == 0, k.to(tl.float32), one), 0.0)
    s = tl.sum(v, axis=0)
    gate = tl.sum(tl.where(tl.arange(0, 8) == 0, s, 0.0), axis=0) == 16777220.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 2**24, BLOCK=BLOCK, num_warps=4)
        return y
