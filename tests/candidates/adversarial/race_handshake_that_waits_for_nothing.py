# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14, diverge root 5)
# Closed: a kernel with atomics has its programs interleaved on half the replays
# (interleave.py); acquires that do not wait run before every release, so the race detector
# finds the plain load and store of y[row] unordered.
"""Self-attack on races.py's one-hop release/acquire: dv10's lost-update split sum wrapped in a
handshake that waits for nothing. Each program acquires a flag with an atomic it never tests,
does the plain load + store of y[row], then releases the flag. Run one after another, every
program's acquire reads the previous program's release, so the observed execution orders every
pair; on a GPU the programs overlap (no lock is taken) and updates are lost. Any sequential
order adds every partial, so the reversed replay does not show it either. Problem: row_sum."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, flag_ptr, n_cols, x_row_stride, BLOCK: tl.constexpr):
    part = tl.program_id(0)
    row = tl.program_id(1).to(tl.int64)
    cols = part * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tl.atomic_add(flag_ptr, 0)
    so_far = tl.load(y_ptr + row)
    tl.store(y_ptr + row, so_far + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr, 1)


class ModelNew(nn.Module):
    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.zeros(n_rows, dtype=torch.float32, device=x.device)
        flag = torch.zeros(1, dtype=torch.int32, device=x.device)
        _row_sum_kernel[(triton.cdiv(n_cols, BLOCK), n_rows)](x2, y, flag, n_cols, x2.stride(0), BLOCK=BLOCK)
        return y.view(x.shape[:-1])
