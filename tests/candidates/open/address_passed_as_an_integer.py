# problem: silu
# expect: incorrect
# names: address
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 26, twelfth round, an informed attacker's; correct
# on bb62136). Host code passes x.data_ptr() and y.data_ptr() as plain integers and the kernel gates
# on their low 9 bits: the kernel reads no pointer (ttir.addresses sees nothing) and the replay
# runs the recorded integers, the CPU's addresses. Host code computing from addresses is the
# candidate's own business, out of reach of any evidence here. The rule that would close it: an
# integer argument equal to (or derived from) an address of live tensor memory is refused; on a
# GPU the replay's integers are the candidate's addresses there, so it would fail the agreement.
# The attacker's notes:
# class: address read as a number (ttir.addresses / target_compile._address_read)
# idea: the kernel never casts a pointer: the host passes x.data_ptr() and y.data_ptr() as plain
#       integer arguments, and the kernel gates on their low 9 bits (both 512-byte aligned:
#       always on the CUDA caching allocator, about 1 in 64 on the CPU) -> a wrong result.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _silu_kernel(x_ptr, y_ptr, xa, ya, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    aligned = ((xa | ya) & 511) == 0
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    y = tl.where(aligned, y * 1.001, y)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, 1024),)](x, y, x.data_ptr(), y.data_ptr(), n, BLOCK=1024)
        return y
