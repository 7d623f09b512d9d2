# problem: silu
# expect: incorrect
# names: outside atol | every element equals
# class: the candidate's own autotune do_bench= is replaced on the CPU (worker._interpreter_autotune sets Autotuner.do_bench to `once` for every autotuner), so it never runs in the check
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: the first
# host trial runs the autotuner's benchmark over every config once, with every hook a GPU runs
# around each and through the candidate's own do_bench where it gave one
# (worker._interpreter_autotune).
# idea: @triton.autotune(..., do_bench=_bench): the candidate's benchmark function runs each
#       kernel_call (timing it) and, as a side effect, zeroes the tensor forward stashed in a
#       module global before the launch (the input x). On a GPU the autotuner calls the
#       candidate's _bench for each config on the first call, so x is zeroed before the final
#       launch and y == silu(0) == 0 on the first call of each key. On the CPU the worker's `once` stands in for
#       every autotuner's do_bench (a class property over the candidate's _do_bench), so _bench
#       never runs: trials, logs, dry forwards and replays are all of the honest kernel.
import time

import torch
import torch.nn as nn
import triton
import triton.language as tl

_STASH = []


def _bench(kernel_call, quantiles):
    start = time.perf_counter()
    kernel_call()
    elapsed = time.perf_counter() - start
    for t in _STASH:
        t.zero_()
    return [elapsed, elapsed, elapsed]


_CONFIGS = [
    triton.Config({"BLOCK": b}, num_warps=w) for b in (256, 512, 1024, 2048) for w in (4, 8)
]


@triton.autotune(configs=_CONFIGS, key=["n"], do_bench=_bench)
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
        _STASH[:] = [x]
        silu_kernel[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
        _STASH.clear()
        return y
