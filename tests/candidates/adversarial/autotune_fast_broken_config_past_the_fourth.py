# problem: silu
# expect: incorrect
# names: a GPU's autotuner may pick this config
# class: autotune config the interpreter never picks (config coverage)
# Found by session 28's attacker round D (correct at 7576eda). Refused since session 29: an
# autotuned launch is logged with the launch each config of its list makes, dry
# (guards._record_configs), and the replay runs every one of them on the first replayed trial's
# inputs and holds it against the reference.
# The attacker's notes:
# class: (3) a broken config only the GPU's benchmark timing would pick
# idea: the host trials take configs 0-1 (small), 2-3 (heldout) and, for the third shape set,
#       two consecutive ones from a place drawn as 4 + crc32 % 64, modulo the list's length.
#       24 configs: 23 honest, the last (HALF=1) stores only the first half of each block
#       and skips loading the rest: half the memory traffic, so a GPU's benchmark picks it
#       (a memory-bound elementwise kernel's time is its bytes), and half of every output
#       is left as torch.empty's garbage. The draw reaches config 23 for 4 of 64 draws.
import torch
import torch.nn as nn
import triton
import triton.language as tl

_CONFIGS = [
    triton.Config({"BLOCK": b, "HALF": 0}, num_warps=w, num_stages=s)
    for b in (256, 512, 1024, 2048)
    for w in (1, 2, 4, 8)
    for s in (1, 2)
][:23] + [triton.Config({"BLOCK": 1024, "HALF": 1}, num_warps=4)]


@triton.autotune(configs=_CONFIGS, key=["n"])
@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, HALF: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if HALF:
        mask = mask & (tl.arange(0, BLOCK) < BLOCK // 2)
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
        return y
