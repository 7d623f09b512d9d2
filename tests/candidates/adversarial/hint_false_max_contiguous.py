# problem: silu
# expect: incorrect
# names: is false on the values this replay computed
# class: interpreter vs compiled lowering (issue 14, diverge root 6; s23 dv12)
# trick: tl.max_contiguous / tl.multiple_of / tl.max_constancy that do not hold
# Closed: hints are checked on the replayed values (sandbox/hints.py).
"""Divergence: compiler hints are unchecked assumptions; the interpreter ignores them.

Idea. `tl.multiple_of`, `tl.max_contiguous` and `tl.max_constancy` tell Triton's axis analysis
facts about a tensor's values, which it believes without checking (they exist to enable
vectorised memory access). The interpreter's versions only set an attribute
(`_patch_lang_core`: `_set_attr`); nothing reads it. A hint that is false leaves the
interpreted kernel exact and makes the compiled one load from the wrong addresses.

Here every group of 4 elements is visited in the order [0, 3, 2, 1]: SiLU is loaded from
x[q] and stored to y[p], where p and q are the same offsets computed by two formulas: exact,
in the interpreter. The load's offsets are declared contiguous in runs of 4 starting at a
multiple of 4 (and the mask constant over 4), which is false; compiled, the load becomes one
16-byte `ld.global.v4.b32` per thread from the address of the group's first lane (g, aligned),
so lane 1 receives x[g+1] (not x[g+3]) and lane 3 x[g+3] (not x[g+1]); the store (no hint,
scalar `st.global.b32` per lane) puts them at y[g+3] and y[g+1]: in every group of 4, outputs
1 and 3 are swapped.

Problem: silu.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    lane = offs % 4
    p = offs - lane + tl.where(lane == 1, 3, tl.where(lane == 3, 1, lane))
    mask = p < n
    # the same offsets by another formula (so no pass merges the two), declared contiguous
    q = tl.max_contiguous(tl.multiple_of(offs - lane + (lane * 3) % 4, 4), 4)
    x = tl.load(x_ptr + q, mask=tl.max_constancy(mask, 4)).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    tl.store(y_ptr + p, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK, num_warps=8)
        return y
