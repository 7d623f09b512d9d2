# problem: silu
# expect: rejected
# names: forward did otherwise than with the config this check ran
# class: autotune config the interpreter never picks (config coverage)
# Written in session 29 against its own rule (every config of an autotuned launch replayed, each
# with the host ops of the config the host trial chose; correct with that rule alone). The
# configs share one pre_hook, which reads the config it is called with: for the last config, the
# one a GPU's benchmark picks (the others run blocks of 64 on one warp), it zeroes the input
# before the launch. No host trial on the CPU takes that config. Refused: forward runs again,
# dry, once per other config with every autotuned launch made to take it (worker.
# _dry_forwards), and must log what the replay of that config runs.
"""Problem: silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


def _hook(nargs):
    if nargs["BLOCK"] == 1024:
        nargs["x_ptr"].zero_()


_CONFIGS = [
    triton.Config({"BLOCK": 64}, num_warps=1, num_stages=s, pre_hook=_hook) for s in range(1, 24)
] + [triton.Config({"BLOCK": 1024}, num_warps=4, pre_hook=_hook)]


@triton.autotune(configs=_CONFIGS, key=["n"])
@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
        return y
