# problem: silu
# expect: incorrect
# names: outside atol | every element equals
# class: autotune benchmark repetitions: the CPU's "first call" (pristine dry forwards, interpreter benchmark with do_bench = one run) is not a GPU's first call
# OPEN: a known false accept on the CPU (session 29's attacker round, correct at c2b8763 and
# after). A shared pre_hook counts its calls and zeroes the input from the 13th on: a GPU's
# benchmark runs each config many times (do_bench's warm-up and repetitions), the CPU's once.
# The rule that would close it: none that a count bounds (a benchmark emulated with as many
# repetitions as a GPU's would cost that many interpreted runs); on a GPU the check's own
# benchmark runs the hooks as often as a GPU does.
# idea: every config shares one pre_hook that counts its calls in a module global and zeroes the
#       input from the 13th call on. On a GPU the autotuner benchmarks each of the 8 configs
#       with triton.testing.do_bench (5 estimate runs + >=1 warmup + >=1 rep, hundreds for a
#       fast kernel), calling the pre_hook at every run, so within the FIRST forward call the
#       count passes 12, x is zeroed mid-benchmark and the final launch writes silu(0) = 0 for
#       every element. The check calls the hook at most 3 times in trial 0 (its benchmark runs
#       each of two configs once) and once per later trial, and each config forward is a fork
#       taken before any forward (count 0, then 1 call): it never reaches 13.
import torch
import torch.nn as nn
import triton
import triton.language as tl

_SEEN = [0]


def _count(nargs):
    _SEEN[0] += 1
    if _SEEN[0] > 12:
        nargs["x_ptr"].zero_()


_CONFIGS = [
    triton.Config({"BLOCK": b}, num_warps=w, pre_hook=_count)
    for b in (256, 512, 1024, 2048)
    for w in (4, 8)
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
