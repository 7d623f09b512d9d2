# problem: transpose_copy
# expect: rejected
# names: not one block
# class: 6 (allowed host ops doing the whole job)
# trick: the transpose split so each side looks innocent: the host gathers each column of x into
# a buffer of its own (a strided read copied out in order, "a copy of a slice"), and one launch
# per column copies that contiguous buffer into row j of the output (a memcpy kernel)
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _row_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        M, N = x.shape
        y = torch.empty((N, M), dtype=x.dtype, device=x.device)
        for j in range(N):
            col = x[:, j].contiguous()
            _row_kernel[(triton.cdiv(M, 256),)](col, y[j], M, BLOCK=256)
        return y
