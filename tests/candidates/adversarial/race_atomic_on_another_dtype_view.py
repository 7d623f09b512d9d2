# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14, diverge root 5)
# trick: lost updates through an atomic on another dtype view of the accumulator
"""Self-attack on races.py: dv10's lost-update split sum, but each program adds with an int32
atomic on a float32 accumulator's bytes while another program's plain float32 load/store
touches them through the float view: a different dtype view of one buffer. Expect: race
(bytes compared, not elements). Problem: row_sum."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, yi_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    so_far = tl.load(y_ptr + row)
    tl.atomic_xchg(yi_ptr + row, (so_far + tl.sum(x, axis=0)).to(tl.int32, bitcast=True))


class ModelNew(nn.Module):
    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](x2, y, y.view(torch.int32), n_cols, x2.stride(0), BLOCK=BLOCK)
        return y.view(x.shape[:-1])
