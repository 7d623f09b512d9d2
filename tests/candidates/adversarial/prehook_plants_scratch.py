# problem: vector_add
# expect: rejected
# names: computes: only allocation, view and layout ops replay
# class: 2 (compute outside the traced window)
# trick: an autotune pre_hook (run inside the autotuner's launch, where torch ops are not
# counted) writes x + y into a scratch buffer allocated in forward; the kernel is an honest
# copy of that scratch buffer into the output, so every output element is written by a kernel
import torch
import torch.nn as nn
import triton
import triton.language as tl


def plant(nargs):
    nargs["s_ptr"].copy_(nargs["x_ptr"] + nargs["y_ptr"])


@triton.autotune(configs=[triton.Config({"BLOCK": 1024}, pre_hook=plant)], key=["n"])
@triton.jit
def copy_kernel(x_ptr, y_ptr, s_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(s_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        s = torch.empty_like(x)
        out = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](x, y, s, out, n)
        return out
