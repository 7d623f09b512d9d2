# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# Closed: an interleaver site is the op with its whole call path in the source, so the helper's
# poll in the loop and its release after it are two sites, and the release is drawn after the
# acquires. Correct on 1031be9 (session 25, ninth round, an informed attacker's).
"""attempts/a4 again, through the site rule: part 1 of each row reads part 0's partial after an
acquire it never waits on (tl.atomic_add(flag, 0), default sem: drawn as BOTH). Part 0 polls the
flag a few times and then releases it, both through one @triton.jit helper (_flag_op): the two
accesses share a site (op "atomic", the helper's line), so the release after the loop counts as a
revisit of the bounded spin and is drawn as BOUNDED_RELEASE, before every BOTH. Part 1's check
always reads the release; on a GPU it may run before part 0 stores its partial.

Problem: row_sum.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 8192


@triton.jit
def _flag_op(ptr, v, SEM: tl.constexpr):
    return tl.atomic_add(ptr, v, sem=SEM)


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
        while (_flag_op(flag_ptr + row, 0, "acquire") != 2) & (tries < 3):
            tries += 1
        tl.store(part_ptr + row, s)
        _flag_op(flag_ptr + row, 1, "release")
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
