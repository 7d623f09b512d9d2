# problem: row_sum
# expect: incorrect
# names: has scope="cta"
# class: interpreter vs GPU execution (issue 14, diverge root 5; attack2 a02)
# Closed: a ticket of scope "cta" neither releases nor acquires between programs (races.py),
# and races as a plain load and store. Correct on main 404d720.
# attack: "the last program to arrive adds the partials", its ticket taken with
# tl.atomic_add(sem="acq_rel", scope="cta"). A CTA-scope release/acquire orders nothing between
# programs on different SMs: the last program may read stale partials. races.py's happens-before
# counts any release/acquire pair, whatever the scope.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, part_ptr, count_ptr, out_ptr, cols, BLOCKS: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    blk = tl.program_id(1)
    offs = blk * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.store(part_ptr + row * BLOCKS + blk, tl.sum(x, axis=0))
    ticket = tl.atomic_add(count_ptr + row, 1, sem="acq_rel", scope="cta")
    if ticket == BLOCKS - 1:
        parts = tl.load(part_ptr + row * BLOCKS + tl.arange(0, BLOCKS))
        tl.store(out_ptr + row, tl.sum(parts, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        blocks = triton.next_power_of_2(triton.cdiv(cols, 1024))
        part = torch.zeros(rows * blocks, device=x.device, dtype=torch.float32)
        count = torch.zeros(rows, device=x.device, dtype=torch.int32)
        out = torch.empty(rows, device=x.device, dtype=torch.float32)
        row_sum_kernel[(rows, blocks)](x, part, count, out, cols, BLOCKS=blocks, BLOCK=1024)
        return out
