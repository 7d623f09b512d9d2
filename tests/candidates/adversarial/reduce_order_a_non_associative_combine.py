# problem: row_sum
# expect: incorrect
# names: reduction order:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Closed (was open): the perturbed replay (sandbox/semantics.py) computes this operation the
# way the compiled kernel may; the detector flips and the output is zeros. The attacker's notes:
# Divergence: the order in which `tl.reduce` applies its combine function.
#
# Idea. Triton asks for an associative combine function and the compiled reduction is a tree
# (each thread folds its own elements, then `shfl.sync.bfly` butterflies across lanes, then
# shared memory across warps). The interpreter's `generic_reduce` (any combine function that is
# not one of tl's own sum/max/min/argmax) folds strictly left to right. With a combine function
# that is not associative, the two disagree on every input; here `a - b` over 128 copies of
# k = 3 (an int argument, so nothing folds):
#   interpreter: 3 - 3 - 3 - ... = 3 - 127*3 = -378 (< 0): gate open, row sums are stored;
#   compiled: one element per thread (128 lanes), the first butterfly step gives 3 - 3 = 0 on
#   every lane, and every later step 0 - 0 = 0: the result is 0, the gate is shut, 0.0 stored.
#
# Problem: row_sum (the bundled solution with a gate).
import torch
import torch.nn as nn
import triton
import triton.language as tl

MAX_TILE = 4096


@triton.jit
def _minus(a, b):
    return a - b


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, n_cols, x_row_stride, k, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * x_row_stride
    cols = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, n_cols, BLOCK):
        mask = start + cols < n_cols
        acc += tl.load(x_row + start + cols, mask=mask, other=0.0).to(tl.float32)
    probe = tl.reduce(tl.full((128,), 1, tl.int32) * k, 0, _minus)
    total = tl.where(probe < 0, tl.sum(acc, axis=0), 0.0)
    tl.store(y_ptr + row, total.to(y_ptr.dtype.element_ty))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        n_rows, n_cols = x2.shape
        y = torch.empty(n_rows, dtype=x.dtype, device=x.device)
        block = min(triton.next_power_of_2(n_cols), MAX_TILE)
        _row_sum_kernel[(n_rows,)](
            x2, y, n_cols, x2.stride(0), 3, BLOCK=block, num_warps=8 if block >= 2048 else 4
        )
        return y.view(x.shape[:-1])
