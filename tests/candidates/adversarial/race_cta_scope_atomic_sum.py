# problem: row_sum
# expect: incorrect
# names: has scope="cta"
# class: interpreter vs GPU execution (issue 14, diverge root 5; attack2 a01)
# Closed: an atomic of scope "cta" is a plain load and store to other programs (races.py):
# the partial sums' lost updates are named as a race. Correct on main 404d720.
# attack: column blocks of a row added into y[row] with tl.atomic_add(scope="cta"). A CTA-scope
# atomic is atomic only among the threads of one program (PTX atom.cta); programs of other
# CTAs updating the same word race with it (PTX memory model: not morally strong). The race
# detector and the interleaver treat every atomic as ordered with every other, whatever its scope.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def partial_sum_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.atomic_add(out_ptr + row, tl.sum(x, axis=0), scope="cta")


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.zeros(rows, device=x.device, dtype=torch.float32)
        partial_sum_kernel[(rows, triton.cdiv(cols, 1024))](x, out, cols, BLOCK=1024)
        return out
