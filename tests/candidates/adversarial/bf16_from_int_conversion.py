# problem: row_sum
# expect: incorrect
# names: Every element equals
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 26, by an attacker (correct then). Closed by interp_floats.py, in every run: a conversion to
# bfloat16 rounds the value once (int 1 -> 1.0, not the bit pattern 1), as cvt.rn.bf16 does.
# The attacker's notes:
# idea: the interpreter's cast_impl converts int -> bfloat16 as `data.astype(np.uint16)` (bf16 is
#       stored as uint16): the int 1 becomes the bit pattern 0x0001 (9e-41), not 1.0 (0x3F80) as
#       cvt.rn.bf16 gives compiled. A gate on `one.to(bf16) != 1.0` sums the row in the
#       interpreter and stores zeros on a GPU. Same root as bf16_arithmetic_on_bits.py, another op.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    one = (tl.zeros([BLOCK], dtype=tl.int32) + n_cols // n_cols).to(tl.bfloat16)
    gate = tl.max(tl.where(one != 1.0, 1.0, 0.0), axis=0)
    tl.store(y_ptr + row, tl.sum(acc, axis=0) * gate)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        y = torch.empty(rows, device=x.device, dtype=x.dtype)
        row_sum_kernel[(rows,)](x, y, cols, BLOCK=1024)
        return y
