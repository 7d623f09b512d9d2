# problem: softmax
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Closed: a scalar store (thread 0's) and a scalar load of it in one program with no barrier
# between are kept aside, and refused where the compiled kernel's data flow (ttir.spread) takes
# the loaded value into every thread's lanes. Correct on db7da38 (session 25, tenth round, an
# informed attacker's); refused since session 26.
"""Softmax, one program per row, that saves the row's max and sum (as a forward pass keeps them
for the backward) and then reads them back from global memory to normalise. A scalar store is
made by one thread (thread 0); a scalar load by every thread, each for its own lanes. Nothing
orders thread 0's store before another warp's load of the same word (no barrier: Triton puts
none around global memory): a warp that runs ahead reads the scratch word before thread 0 wrote
it. lane_races takes a scalar store and a scalar load for the same lane of one shape, one
thread.

Problem: softmax.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _softmax_kernel(x_ptr, y_ptr, stats_ptr, n_cols, x_row_stride, y_row_stride,
                    BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    tl.store(stats_ptr + 2 * row, tl.max(x, axis=0))
    m = tl.load(stats_ptr + 2 * row)
    e = tl.exp(x - m)
    tl.store(stats_ptr + 2 * row + 1, tl.sum(e, axis=0))
    s = tl.load(stats_ptr + 2 * row + 1)
    tl.store(y_ptr + row * y_row_stride + cols, (e / s).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        stats = torch.empty(2 * n_rows, dtype=torch.float32, device=x.device)
        block = triton.next_power_of_2(n_cols)
        _softmax_kernel[(n_rows,)](
            x2, y, stats, n_cols, x2.stride(0), y.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape)
