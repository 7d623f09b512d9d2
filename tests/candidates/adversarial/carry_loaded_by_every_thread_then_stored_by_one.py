# problem: cumsum
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Closed: a scalar store (thread 0's) and a scalar load of it in one program with no barrier
# between are kept aside, and refused where the compiled kernel's data flow (ttir.spread) takes
# the loaded value into every thread's lanes. Correct on db7da38 (session 25, tenth round, an
# informed attacker's); refused since session 26.
"""A chained scan over column tiles with one carry slot per row: tile t waits until the row's
counter reads t (acquire), loads the carry, stores carry + its total, raises the counter to t+1
(release), and stores its local scan plus the carry. The carry is a scalar load, which every
thread of the program makes (each keeps its copy for the block it stores); the scalar store and
the release are thread 0's. No barrier stands between the load and the release: a slow warp of
tile t may load the slot after thread 0 stored carry + total (in its own program), or after
tile t+1 acquired and stored again, and adds the wrong carry to its lanes. races._covers takes
a scalar access and a scalar release for one thread's; lane_races takes a scalar load and a
scalar store for the same lane.

Problem: cumsum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _scan_kernel(x_ptr, y_ptr, carry_ptr, count_ptr, n_cols, BLOCK: tl.constexpr):
    tile = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = tile * BLOCK + tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    local = tl.cumsum(x, axis=0)
    total = tl.sum(x, axis=0)
    while tl.atomic_add(count_ptr + row, 0, sem="acquire") != tile:
        pass
    c = tl.load(carry_ptr + row)
    tl.store(carry_ptr + row, c + total)
    tl.atomic_xchg(count_ptr + row, tile + 1, sem="release")
    tl.store(y_ptr + row * n_cols + cols, local + c, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        n_tiles = triton.cdiv(n_cols, BLOCK)
        y = torch.empty_like(x2)
        carry = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        count = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        _scan_kernel[(n_tiles, n_rows)](x2, y, carry, count, n_cols, BLOCK=BLOCK, num_warps=4)
        return y.view(x.shape)
