# problem: tall_rows
# style: one launch per row from a Python loop (over 1,000 rows at small): each launch is a
# real kernel on a row view, so forward issues thousands of allowed view ops, a few per launch
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_sum(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < cols, other=0.0)
    tl.store(out_ptr, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        out = torch.empty(rows, device=x.device, dtype=x.dtype)
        block = triton.next_power_of_2(cols)
        for i in range(rows):
            _row_sum[(1,)](x[i], out[i], cols, BLOCK=block)
        return out
