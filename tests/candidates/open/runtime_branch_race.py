# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 24, by an informed attacker; correct on main
# e8a3345). A run-time branch on a size (rows >= 1024: true on every GPU shape, never on the CPU's)
# does a plain read-modify-write split. The rule that would close it: replay a sample of the
# programs of the launches at the declared GPU shapes on full-size memory, so that branches on size
# scalars are taken.
# On a GPU the compiled kernel is what runs. The attacker's notes:
# attack: one kernel, one grid shape (rows, 2) at every size; a runtime branch on the row count
# picks the path. With fewer than 1024 rows (every CPU shape: small 3 rows, held-out next to the
# minimum) program (row, 0) sums the whole row and (row, 1) returns; from 1024 rows on (the
# module's 4096, every GPU run) each program sums half a row into y[row] with a plain load and
# store: a lost update. Same kernel, same launch, same constexprs on CPU and GPU; the racy
# branch is never executed by any replay, so races.py never sees its accesses.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, rows, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    half = tl.program_id(1)
    if rows >= 1024:
        mid = cols // 2
        lo = half * mid
        hi = tl.where(half == 0, mid, cols)
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for start in range(0, cols, BLOCK):
            offs = lo + start + tl.arange(0, BLOCK)
            acc += tl.load(x_ptr + row * cols + offs, mask=offs < hi, other=0.0)
        so_far = tl.load(out_ptr + row)
        tl.store(out_ptr + row, so_far + tl.sum(acc, axis=0))
    elif half == 0:
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for start in range(0, cols, BLOCK):
            offs = start + tl.arange(0, BLOCK)
            acc += tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
        tl.store(out_ptr + row, tl.sum(acc, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.zeros(rows, device=x.device, dtype=torch.float32)
        row_sum_kernel[(rows, 2)](x, out, rows, cols, BLOCK=1024)
        return out
