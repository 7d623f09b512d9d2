# problem: row_sum
# expect: incorrect
# names: disagrees | NaN where the reference | uninitialised
# class: autotune benchmark machinery taken for the forward's (issue 14)
# Written in session 29. The output is torch.empty, atomically accumulated into, and zeroed only
# by the autotuner's reset_to_zero: on a GPU the reset runs after the benchmark, at the first
# call of a key; every later call adds into garbage. Refused before session 29 too: the second
# host trial runs one config, with no benchmark and no reset, and disagrees with the replay.
# Since session 29 the reset's zero_ also stays out of the launch log (it is the autotuner's, not
# the forward's: guards._quiet_benchmark), so no replay zeroes the output either.
"""Problem: row_sum."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.autotune(
    configs=[triton.Config({"BLOCK": 1024}), triton.Config({"BLOCK": 2048})],
    key=["cols"],
    reset_to_zero=["out_ptr"],
)
@triton.jit
def split_sum_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.atomic_add(out_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.empty(rows, device=x.device, dtype=torch.float32)
        split_sum_kernel[lambda meta: (rows, triton.cdiv(cols, meta["BLOCK"]))](x, out, cols)
        return out
