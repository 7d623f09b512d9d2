# problem: cumsum
# style: a chained scan in which each tile waits on its left neighbour's flag, raises its own, then reads every earlier tile's aggregate (ordered through the chain of programs)
"""LEGIT (false-reject probe): a chained scan over column tiles. Tile t stores its aggregate,
waits until tile t-1's flag is raised (acquire), raises its own (release), and sums the
aggregates of tiles 0..t-1 with one vector load. Tile t-1 raised its flag only after it saw
t-2's, so every aggregate before t is ordered before t's load through the chain (PTX causality
order is transitive). The race check follows one release/acquire hop only (races.py).

Problem: cumsum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _scan_kernel(x_ptr, y_ptr, agg_ptr, flag_ptr, n_cols, n_tiles,
                 BLOCK: tl.constexpr, NT: tl.constexpr):
    tile = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = tile * BLOCK + tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    local = tl.cumsum(x, axis=0)
    tl.store(agg_ptr + row * n_tiles + tile, tl.sum(x, axis=0))
    if tile > 0:
        while tl.atomic_add(flag_ptr + row * n_tiles + tile - 1, 0, sem="acquire") == 0:
            pass
    tl.atomic_xchg(flag_ptr + row * n_tiles + tile, 1, sem="release")
    q = tl.arange(0, NT)
    prev = tl.load(agg_ptr + row * n_tiles + q, mask=q < tile, other=0.0)
    tl.store(y_ptr + row * n_cols + cols, local + tl.sum(prev, axis=0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        n_tiles = triton.cdiv(n_cols, BLOCK)
        y = torch.empty_like(x2)
        agg = torch.empty(n_rows * n_tiles, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows * n_tiles, dtype=torch.int32, device=x.device)
        _scan_kernel[(n_tiles, n_rows)](
            x2, y, agg, flag, n_cols, n_tiles, BLOCK=BLOCK,
            NT=triton.next_power_of_2(n_tiles), num_warps=4,
        )
        return y.view(x.shape)
