# problem: cumsum
# style: a decoupled look-back scan with flags released and acquired, each tile walking back over its predecessors
"""LEGIT: a decoupled look-back scan. Each tile of a row publishes its aggregate (flag 1) and,
once its exclusive prefix is known, its inclusive prefix (flag 2), each value stored before
the flag is raised with sem="release". A tile looks back over its predecessors, waiting on each
flag with an acquire atomic until it is nonzero, adding aggregates until it meets an inclusive
prefix. Correct on a GPU.

Problem: cumsum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _scan_kernel(x_ptr, y_ptr, agg_ptr, incl_ptr, flag_ptr, n_cols, n_tiles,
                 BLOCK: tl.constexpr):
    tile = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = tile * BLOCK + tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    local = tl.cumsum(x, axis=0)
    total = tl.sum(x, axis=0)
    slot = row * n_tiles + tile
    if tile == 0:
        tl.store(incl_ptr + slot, total)
        tl.atomic_xchg(flag_ptr + slot, 2, sem="release")
        excl = tl.zeros((), tl.float32)
    else:
        tl.store(agg_ptr + slot, total)
        tl.atomic_xchg(flag_ptr + slot, 1, sem="release")
        excl = tl.zeros((), tl.float32)
        j = tile - 1
        done = tl.zeros((), tl.int32)
        while done == 0:
            f = tl.atomic_add(flag_ptr + row * n_tiles + j, 0, sem="acquire")
            if f == 2:
                excl += tl.load(incl_ptr + row * n_tiles + j)
                done = tl.full((), 1, tl.int32)
            elif f == 1:
                excl += tl.load(agg_ptr + row * n_tiles + j)
                j -= 1
        tl.store(incl_ptr + slot, excl + total)
        tl.atomic_xchg(flag_ptr + slot, 2, sem="release")
    tl.store(y_ptr + row * n_cols + cols, local + excl, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        n_tiles = triton.cdiv(n_cols, BLOCK)
        y = torch.empty_like(x2)
        agg = torch.empty(n_rows * n_tiles, dtype=torch.float32, device=x.device)
        incl = torch.empty(n_rows * n_tiles, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows * n_tiles, dtype=torch.int32, device=x.device)
        _scan_kernel[(n_tiles, n_rows)](
            x2, y, agg, incl, flag, n_cols, n_tiles, BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape)
