# problem: vector_add
# style: reshape to 2-D, a 2-D grid, and a view back to the input's shape
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add2d_kernel(x_ptr, y_ptr, out_ptr, rows, cols, BR: tl.constexpr, BC: tl.constexpr):
    r = tl.program_id(0) * BR + tl.arange(0, BR)[:, None]
    c = tl.program_id(1) * BC + tl.arange(0, BC)[None, :]
    mask = (r < rows) & (c < cols)
    idx = r * cols + c
    tl.store(out_ptr + idx, tl.load(x_ptr + idx, mask=mask) + tl.load(y_ptr + idx, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        n = x.numel()
        cols = 8 if n % 8 == 0 else 1
        x2, y2 = x.reshape(-1, cols), y.view(-1, cols)
        out = torch.empty_like(x2)
        grid = (triton.cdiv(x2.shape[0], 32), triton.cdiv(cols, 16))
        add2d_kernel[grid](x2, y2, out, x2.shape[0], cols, BR=32, BC=16)
        return out.view(x.shape)
