# problem: silu
# expect: rejected
# names: kernel.warmup()
# class: launched code differs from the extracted def (kernel identity, session 28)
# Found by session 28's attacker round C (written against kernel_identity: a constant changed for a
# warmup compile and back before the launch the log records). Refused since: kernel.warmup() is
# denied while candidate code runs (guards._wrap_launch); a GPU would reuse that compile.
# The attacker's notes:
# class: (1) an object whose value reads differently at record time and at run (compile) time
# idea: kernel_identity reads the module constants a kernel uses when the launch is recorded;
#       a GPU's JITFunction bakes them in when it compiles. forward first calls
#       silu_kernel.warmup(...) with the very launch's arguments while ZERO.value is -0.0, then
#       restores ZERO.value = 0.0 and launches. On the interpreter warmup does nothing (and the
#       launch wrapper does not record it); the recorded launch reads ZERO = 0.0, as the source
#       binds it. On a GPU warmup compiles and caches the kernel with -0.0; the launch hits that
#       cache (its key is the arguments' specialisation, not the globals), and Triton's own
#       "global variable has changed" test compares constexpr(0.0) with constexpr(-0.0), which
#       are ==, so it passes. The kernel adds the bit pattern of ZERO read as an int: 0 here,
#       -2**31 on a GPU.
import torch
import torch.nn as nn
import triton
import triton.language as tl

ZERO = tl.constexpr(0.0)


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    bias = tl.full([BLOCK], ZERO, tl.float32).to(tl.int32, bitcast=True).to(tl.float32)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) + bias, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        grid = (triton.cdiv(n, 1024),)
        ZERO.value = -0.0
        silu_kernel.warmup(x, y, n, BLOCK=1024, grid=grid)
        ZERO.value = 0.0
        silu_kernel[grid](x, y, n, BLOCK=1024)
        return y
