# problem: silu
# expect: rejected
# names: reads a pointer as a number
# class: 7 (a kernel body that is not Triton: it tells the CPU check from a GPU by where memory lies)
# Closed: a kernel whose compiled Triton IR reads a pointer as a number (tt.ptr_to_int, a bitcast of
# a pointer to an integer; ttir.addresses) is refused, whatever it does with the number. Correct on
# db7da38 (session 26, eleventh round, an informed attacker's). The attacker's notes:
# class: (7) a kernel that tells the CPU check from a GPU (a body that means something else there)
# idea: read the buffers' addresses (ptr bitcast to int64). PyTorch's CUDA caching allocator
#       rounds every block to 512 bytes, so on a GPU every fresh buffer is 512-byte aligned; the
#       CPU allocator aligns to 64, so among six fresh buffers one is almost surely not 512-aligned
#       ((1/8)^6 odds against). Gate: some address not a multiple of 512 -> SiLU, else zeros.
#       Nothing perturbs or checks pointer values; the compiler knows only divisibility by 16.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, a_ptr, b_ptr, c_ptr, d_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    bits = (
        x_ptr.to(tl.int64, bitcast=True)
        | y_ptr.to(tl.int64, bitcast=True)
        | a_ptr.to(tl.int64, bitcast=True)
        | b_ptr.to(tl.int64, bitcast=True)
        | c_ptr.to(tl.int64, bitcast=True)
        | d_ptr.to(tl.int64, bitcast=True)
    )
    gate = tl.where((bits & 511) != 0, 1.0, 0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) * gate, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        s = [torch.empty(16, device=x.device) for _ in range(4)]
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, *s, n, BLOCK=1024)
        return y
