# problem: row_sum
# style: each program stores its partial sum, takes a ticket with an atomic, and the last to arrive adds the row's partials (ordered by the ticket's release and acquire)
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
    ticket = tl.atomic_add(count_ptr + row, 1)
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
