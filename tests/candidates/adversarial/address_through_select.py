# problem: silu
# expect: rejected
# names: reads a pointer as a number
# class: 7 (a kernel body that is not Triton: interpreter vs compiled)
# Session 26's review, written against ttir.addresses' one exception (an address moved by offsets and
# made a pointer again): the offset is chosen by the address's own low bits through a select, one
# element further where a GPU's allocator aligns. Refused on first try (the offset is not address-free).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    addr = x_ptr.to(tl.int64)
    low = addr - (addr // 512) * 512
    # An int64 pointer rebuilt from the address: one element further only when 512-aligned (a GPU).
    moved = addr + 4 * offs + tl.where(low == 0, 4, 0)
    x = tl.load(moved.to(tl.pointer_type(tl.float32)), mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
