# problem: row_sum
# style: @triton.autotune with reset_to_zero on an output forward allocates with torch.zeros (the
# reset makes the benchmark's repeated runs safe; the forward zeroes its own output)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.autotune(
    configs=[
        triton.Config({"BLOCK": 512}),
        triton.Config({"BLOCK": 1024}),
        triton.Config({"BLOCK": 2048}, num_warps=8),
    ],
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
        out = torch.zeros(rows, device=x.device, dtype=torch.float32)
        split_sum_kernel[lambda meta: (rows, triton.cdiv(cols, meta["BLOCK"]))](x, out, cols)
        return out
