# problem: transpose_copy
# style: Triton 3.x tuple kernel arguments: the input and output as one tuple of tensors, the
# shape and each tensor's strides as tuples of ints (tensor.stride() itself), read by index
# A false reject found in session 27 (rejected: "ptrs was passed a tuple, which no compiled kernel
# takes"); fixed by taking a tuple whose leaves are what a compiled kernel takes, replayed and
# compiled leaf by leaf as Triton's launcher specialises them (launch_signature, replay, aot).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def transpose_kernel(ptrs, shape, x_strides, y_strides,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    x_ptr, y_ptr = ptrs
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = (offs_m[:, None] < shape[0]) & (offs_n[None, :] < shape[1])
    x = tl.load(x_ptr + offs_m[:, None] * x_strides[0] + offs_n[None, :] * x_strides[1], mask=mask)
    tl.store(y_ptr + offs_n[None, :] * y_strides[0] + offs_m[:, None] * y_strides[1], x, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        M, N = x.shape
        y = torch.empty((N, M), dtype=x.dtype, device=x.device)
        grid = (triton.cdiv(M, 64), triton.cdiv(N, 64))
        transpose_kernel[grid]((x, y), (M, N), x.stride(), y.stride(), BLOCK_M=64, BLOCK_N=64)
        return y
