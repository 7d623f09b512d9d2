# problem: silu
# style: lanes of one program exchange values through a global scratch block, a tl.debug_barrier() between the store and the mirrored load
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, s_ptr, y_ptr, n, BLOCK: tl.constexpr):
    base = tl.program_id(0) * BLOCK
    lane = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + base + lane, mask=base + lane < n, other=0.0)
    tl.store(s_ptr + base + lane, x)
    tl.debug_barrier()
    mirror = BLOCK - 1 - lane
    v = tl.load(s_ptr + base + mirror)
    tl.store(y_ptr + base + mirror, v * tl.sigmoid(v), mask=base + mirror < n)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel()
        blocks = triton.cdiv(n, 1024)
        scratch = torch.empty(blocks * 1024, device=x.device, dtype=x.dtype)
        y = torch.empty_like(x)
        silu_kernel[(blocks,)](x, scratch, y, n, BLOCK=1024)
        return y
