# problem: row_mean
# expect: incorrect
# names: lanes of one atomic_xchg write different values to one address
# class: interpreter vs GPU execution (issue 14, attack2 a05; rule R3a)
# trick: every lane of a running mean exchanged into y[row] by one atomic_xchg: the lanes' order is unspecified on a GPU
# Closed by sandbox/undefined.py: an atomic_xchg is checked as a store is.
# attack: as a04 through an atomic: every lane of a running prefix mean is exchanged into y[row]
# with one tl.atomic_xchg. Each lane's exchange is atomic, but in which order the lanes of one
# program arrive is unspecified on a GPU; the interpreter applies them in lane order, so the last
# lane (the whole row's mean) is what stays. Not a pair for races.py (one program), not a switch
# point between programs that matters to the interleaver, not perturbed by semantics.py.
# (v1 exchanged floats: the interpreter has no float atomic_xchg, `compile_error`; v2 exchanges
# the float's bits through an int32 view of the output.)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_mean_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    carry = 0.0
    for start in range(0, cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
        run = tl.cumsum(x, axis=0) + carry
        carry = tl.sum(x, axis=0) + carry
        bits = (run / cols).to(tl.int32, bitcast=True)
        tl.atomic_xchg(out_ptr + row + offs * 0, bits, mask=offs < cols)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.zeros(rows, device=x.device, dtype=torch.float32)
        row_mean_kernel[(rows,)](x, out.view(torch.int32), cols, BLOCK=1024)
        return out
