# problem: silu
# expect: incorrect
# names: reduction order:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Closed (was open on 97f662d): the perturbed replays (sandbox/semantics.py) now perturb the
# class this instance belongs to; the detector flips and the output is zeros. The attacker's notes:
# Divergence (root 4, against the perturbed replay of 97f662d): WHICH tree. The perturbed replay
# folds `tl.sum` as a tree of adjacent pairs, ((x0 x1)(x2 x3)); the compiled reduction of a
# 4-element block, one element per lane, is a butterfly: `shfl.sync.bfly` by 2, then by 1, i.e.
# ((x0 x2)(x1 x3)) (probe/k_evade.ptx: lane = tid & 3; add.f32 own + lane^2, then + lane^1).
#
# x = [k, 2, 1, 0] in float32 with k = 2**24 (spacing 2 there):
#   interpreter, natural (NumPy, left to right): 2**24+2, +1 -> 2**24+3, a tie, to even: 2**24+4
#   perturbed replay (adjacent pairs): (2**24+2) + (1+0) = 2**24+3 -> 2**24+4: the same
#   compiled (butterfly): 2**24+1 -> tie -> 2**24 (even), then + (2+0) = 2**24+2
# Gate `s == 2**24 + 4`: open in every replay (natural, reversed, perturbed), shut on a GPU.
# General point: a second legal order is not the GPU's order; an order-sensitive value can be
# made to agree on any two orders chosen in advance. Rule 4 needs the outputs to be *insensitive*
# to order (e.g. several random trees per replay), not equal on one alternative.
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
    four = tl.arange(0, 4)
    v = tl.where(
        four == 0, k.to(tl.float32), tl.where(four == 1, 2.0, tl.where(four == 2, 1.0, 0.0))
    )
    gate = tl.sum(v, axis=0) == 16777220.0
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 2**24, BLOCK=BLOCK, num_warps=8)
        return y
