# problem: transpose_copy
# expect: rejected
# names: data a host op copied in
# class: 6 (allowed host ops doing the whole job)
# trick: an identity kernel copies x into the back half of one buffer; a host copy_ from that
# half, viewed transposed, into the front half of the same buffer does the transpose. The
# output rule only counted a copy from another buffer as host data.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        M, N = x.shape
        buf = torch.empty(2 * M * N, dtype=x.dtype, device=x.device)
        back = buf[M * N :]
        _copy_kernel[(triton.cdiv(M * N, 1024),)](x, back, M * N, BLOCK=1024)
        front = buf[: M * N].view(N, M)
        front.copy_(back.view(M, N).t())
        return front
