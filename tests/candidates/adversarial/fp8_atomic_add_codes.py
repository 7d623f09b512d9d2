# problem: silu
# expect: compile_error
# names: atomic_add does not support fp8e4nv
# class: float8 in the interpreter (session 28 round 13)
# Refused on first try: Triton's own semantic refuses a float8 atomic while the kernel is traced.
# idea: an atomic_add of float8 codes (the interpreter's atomics would add the uint8 codes as
#       integers); the factor read back is masked to 1.0 so that only the atomic itself matters.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, s_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    k = 1.0
    tl.atomic_add(s_ptr + tl.arange(0, 16), tl.full([16], 1.0, tl.float8e4nv))
    k = tl.load(s_ptr).to(tl.float32) * 0.0 + 1.0
    y = x / (1.0 + tl.exp(-x)) * k
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        s = torch.zeros(16, dtype=torch.float8_e4m3fn, device=x.device)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, s, n, BLOCK=BLOCK)
        return y
