# problem: scalar_loss
# style: a 0-d loss reduced with atomics, block partial sums added in whatever order they land
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def mse_kernel(x_ptr, y_ptr, out_ptr, n, inv_n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    d = tl.load(x_ptr + offs, mask=mask, other=0.0) - tl.load(y_ptr + offs, mask=mask, other=0.0)
    tl.atomic_add(out_ptr, tl.sum(d * d, axis=0) * inv_n)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.zeros((), dtype=torch.float32, device=x.device)
        n = x.numel()
        mse_kernel[(triton.cdiv(n, 512),)](x, y, out, n, 1.0 / n, BLOCK=512)
        return out
