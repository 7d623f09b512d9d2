# problem: silu
# expect: incorrect
# names: a GPU's autotuner may pick this config | another of its autotune configs | of elements are wrong | outside atol
# class: autotune configs (issue 14)
# shape: default
# Written in session 28 against its own rule (host trial k of a shape set takes autotune config
# k): the broken config is the third of three, past the two a shape set's host trials take.
# Refused: small starts at config 0 and heldout at config 2 (worker._first_config), so the first
# four configs of a list are checked by every CPU check.
"""Three autotune configs; the third (UNROLL=2) stores only the first of its two chunks: on a
GPU it is the fastest (half the bytes) and half of every output tile stays unwritten. Problem:
silu."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.autotune(
    configs=[
        triton.Config({"BLOCK": 1024, "UNROLL": 1}, num_warps=4),
        triton.Config({"BLOCK": 512, "UNROLL": 1}, num_warps=4),
        triton.Config({"BLOCK": 1024, "UNROLL": 2}, num_warps=8),
    ],
    key=["n"],
)
@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, UNROLL: tl.constexpr):
    pid = tl.program_id(0)
    for u in tl.static_range(UNROLL):
        offs = (pid * UNROLL + u) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        if u == 0:
            x = tl.load(x_ptr + offs, mask=mask, other=0.0)
            tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        grid = lambda meta: (triton.cdiv(n, meta["BLOCK"] * meta["UNROLL"]),)  # noqa: E731
        silu_kernel[grid](x, y, n)
        return y
