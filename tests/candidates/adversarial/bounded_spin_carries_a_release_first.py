# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: loops are keyed by source site, so the release after the spin is a site outside the loop
# and is drawn in its place (after the acquires), and a release inside a bounded spin gives way to
# pure acquires (BOUNDED_RELEASE); with address keys the release on the same word inherited the
# spin's priority. Correct on the first version of the interleaver's loop rule (session 25, written
# by an informed attacker who had read it).
"""Part 1 of each row reads part 0's partial after an acquire it never waits on (a handshake that
waits for nothing). Part 0 first polls the same flag a few times (a bounded spin on the flag
word), then stores its partial and releases the flag with an atomic of the same word: the
release is a revisit of the spin's access, so it is drawn as part of the bounded spin, before
part 1's acquire. On a GPU part 1 may read the partial before part 0 stores it.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 8192


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, part_ptr, flag_ptr, n_cols, x_row_stride,
                    BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    s = tl.sum(x, axis=0)
    if part == 0:
        tries = 0
        while (tl.atomic_add(flag_ptr + row, 0, sem="acquire") != 2) & (tries < 3):
            tries += 1
        tl.store(part_ptr + row, s)
        tl.atomic_add(flag_ptr + row, 1, sem="release")
    else:
        tl.atomic_add(flag_ptr + row, 0)
        other = tl.load(part_ptr + row)
        tl.store(y_ptr + row, s + other)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        assert n_cols <= 2 * BLOCK
        y = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        parts = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        flag = torch.zeros(n_rows, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(2, n_rows)](
            x2, y, parts, flag, n_cols, x2.stride(0), BLOCK=BLOCK, num_warps=4
        )
        return y.view(x.shape[:-1])
