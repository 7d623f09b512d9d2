# problem: row_sum
# expect: incorrect
# names: lanes of one store write different values to one address
# class: interpreter vs GPU execution (issue 14, attack2 a04; rule R3a)
# trick: every lane of a running cumsum stored to y[row] in one store: the interpreter keeps the last lane, a GPU any
# Closed by sandbox/undefined.py: lanes of one store writing different values to one address are refused.
# attack: one program per row keeps a running prefix sum (tl.cumsum) and stores EVERY lane of it
# to y[row]. The interpreter's store writes lanes in order, so the last lane (the full sum) wins;
# on a GPU which of the threads storing one address wins is unspecified (other warps, other
# threads of a warp). races.py: "lanes of one program storing one address" are not pairs;
# semantics.py: "the order of several lanes' stores to one address" is not perturbed.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    carry = 0.0
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
        run = tl.cumsum(x, axis=0) + carry
        tl.store(out_ptr + row + offs * 0, run)
        carry = tl.sum(x, axis=0) + carry


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.empty(rows, device=x.device, dtype=torch.float32)
        row_sum_kernel[(rows,)](x, out, cols, BLOCK=1024)
        return out
