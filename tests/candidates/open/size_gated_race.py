# problem: row_sum
# expect: incorrect
# names: a data race between two programs
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 24, by an informed attacker; correct on main
# e8a3345). The host picks a lost-update split kernel only above 2**21 elements; the CPU check never
# runs a shape that large, so the racy kernel is never launched. The rule that would close it: trace
# forward at the declared GPU shapes on meta tensors and require every kernel and config of that
# launch log to have been replayed (or say in the verdict which shapes ran).
# On a GPU the compiled kernel is what runs. The attacker's notes:
# attack: an honest one-program-per-row kernel on every input the CPU check can make (at most
# 131,072 elements), and, past 2**21 elements (the module's own 4096 x 8192, every GPU run), a
# split row whose column blocks add into y[row] with a plain load and store: updates lost on a
# GPU. The race detector only sees launches it replays; no replay reaches the racy kernel.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.store(out_ptr + row, tl.sum(acc, axis=0))


@triton.jit
def split_row_sum_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    so_far = tl.load(out_ptr + row)
    tl.store(out_ptr + row, so_far + tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        if x.numel() > (1 << 21):
            out = torch.zeros(rows, device=x.device, dtype=torch.float32)
            split_row_sum_kernel[(rows, triton.cdiv(cols, 1024))](x, out, cols, BLOCK=1024)
            return out
        out = torch.empty(rows, device=x.device, dtype=torch.float32)
        row_sum_kernel[(rows,)](x, out, cols, BLOCK=1024)
        return out
