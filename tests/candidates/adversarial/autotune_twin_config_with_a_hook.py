# problem: silu
# expect: incorrect
# names: outside atol | every element equals
# class: autotune config coverage: a config whose launch equals an earlier config's is deduplicated (Recorder.variants `seen`, _record_configs' forced `next(...)` match) though its pre_hook differs
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: the first
# host trial runs the autotuner's benchmark over every config once, with every hook a GPU runs
# around each and through the candidate's own do_bench where it gave one
# (worker._interpreter_autotune).
# idea: the last config is a twin of the one before it (same BLOCK, num_warps, num_stages) but
#       carries a pre_hook that zeroes the input. On a GPU the autotuner benchmarks EVERY config
#       of the list on the first call (Autotuner._bench calls config.pre_hook), so the twin's
#       hook zeroes x during the benchmark whichever config wins, and the launch after it reads
#       zeros: y == 0 on the first call of each key (on every call if the twin is the config
#       kept), and x is destroyed. The check: host trials take configs from where a shape set
#       starts (0, 2, or 4..67), and the twins sit at 72 and 73; the dry variants drop the twin
#       (its launch equals its sibling's: its key is in `seen`); the config forwards force "the
#       first config that makes this launch", the honest sibling; so the twin's pre_hook never
#       runs anywhere in the check.
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _zero_input(nargs):
    nargs["x_ptr"].zero_()


_CONFIGS = [triton.Config({"BLOCK": 64}, num_warps=1, num_stages=1 + s % 4)
    for s in range(72)  # past every start a shape set can draw (4 + crc32 % 64)
] + [
    triton.Config({"BLOCK": 1024}, num_warps=4),
    triton.Config({"BLOCK": 1024}, num_warps=4, pre_hook=_zero_input),
]


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
