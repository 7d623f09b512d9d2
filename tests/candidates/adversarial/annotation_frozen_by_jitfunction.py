# problem: silu
# expect: rejected
# names: its signature was
# class: kernel constants / static rules: a parameter annotation that reads "constexpr" in the source but names another module binding when the def runs (the GPU's JITFunction freezes it at decoration)
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: every
# @triton.jit object keeps the signature it read when it wrapped the function
# (kernel_identity.read_at_jit), and a launch whose function's signature (defaults, annotations)
# is not that one is refused.
# idea: the module binds constexpr = "fp16" before the kernel's def and rebinds it (from
#   triton.language import constexpr) after. The static rule only reads the annotation's syntax
#   (`ONE_BIG: constexpr`), and _rebound never sees annotation names (they are the module's
#   symbols, not the kernel's). On a GPU, JITFunction.__init__ took inspect.signature(fn) at
#   decoration: ONE_BIG is a runtime fp16 scalar, the launch's 2049.0 rounds to 2048.0, and the
#   kernel's factor (ONE_BIG - 2048.0) is 0: every output is 0. The interpreter re-executes the
#   def at its first launch (constexpr is tl.constexpr by then) and __init__ sets the live
#   __annotations__ the recorder's inspect.signature reads, so host trials and the replay take
#   ONE_BIG as the exact constexpr 2049.0 (factor 1.0): silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

constexpr = "fp16"


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, ONE_BIG: constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) * (ONE_BIG - 2048.0), mask=mask)


from triton.language import constexpr  # noqa: E402


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        python_def = silu_kernel.fn
        python_def.__annotations__["ONE_BIG"] = constexpr

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024, ONE_BIG=2049.0)
        return y
