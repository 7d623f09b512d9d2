# problem: row_sum
# style: a two-pass reduction whose partial sums live in a scratch buffer allocated once in
# __init__ (a non-persistent buffer: it moves with .to(), is not part of the state_dict, and
# every element the second pass reads is written by the first pass first)
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024
MAX_PARTIALS = 1 << 16


@triton.jit
def partial_kernel(x_ptr, part_ptr, cols, n_chunks, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    chunk = tl.program_id(1)
    offs = chunk * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.store(part_ptr + row * n_chunks + chunk, tl.sum(x, axis=0))


@triton.jit
def finish_kernel(part_ptr, out_ptr, n_chunks, CHUNKS: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, CHUNKS)
    p = tl.load(part_ptr + row * n_chunks + offs, mask=offs < n_chunks, other=0.0)
    tl.store(out_ptr + row, tl.sum(p, axis=0))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("partials", torch.empty(MAX_PARTIALS), persistent=False)

    def forward(self, x):
        rows, cols = x.shape
        n_chunks = triton.cdiv(cols, BLOCK)
        if rows * n_chunks > self.partials.numel():
            self.partials = torch.empty(rows * n_chunks, device=x.device)
        out = torch.empty(rows, device=x.device, dtype=x.dtype)
        partial_kernel[(rows, n_chunks)](x, self.partials, cols, n_chunks, BLOCK=BLOCK)
        finish_kernel[(rows,)](
            self.partials, out, n_chunks, CHUNKS=max(2, triton.next_power_of_2(n_chunks))
        )
        return out
