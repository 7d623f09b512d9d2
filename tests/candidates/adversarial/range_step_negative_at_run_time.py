# problem: silu
# expect: runtime_error
# names: only counts up
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Written against the type rule by its author, who had read it (correct on main c0621bd). Refused since:
# the replay's `range` refuses a step known at run time that is not positive: scf.for counts up
# only (the code generator negates a constexpr step, never a runtime one), Python counts down.
# Since session 26 the candidate's own trials refuse it first, with the same words
# (interp_rewrite.typed_loop types a `range` loop's variable in every interpreted run).
# The idea:
# A `range` loop whose step is a runtime argument (-1): Python counts down from n, the compiled
# scf.for (a positive step only: MLIR leaves a negative one undefined; the code generator negates a
# constexpr step only) runs no trip. Same types on both sides (int32 tensors): the trip count
# differs. The loop adds 1.0 per trip to a counter: interpreted 3 trips (> 0: SiLU), compiled none
# (the sm_90 TTIR folds the loop away from 3 to 0 and stores zeros).
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, s, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    c = 0.0
    for i in range(3, 0, s):
        c += 1.0
    y = tl.where((x * 0.0 + c) > 0.0, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, -1, BLOCK=BLOCK)
        return y
