# problem: silu
# expect: rejected
# names: did otherwise | outside atol
# class: host code reading the autotuner's results other than best_config (configs_timings): the CPU's benchmark times every config at 0 and times at most two
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: the
# benchmark's timings on the CPU are positive, as a GPU's are, so the first trial zeroes its
# output; a dry call of forward, which does not benchmark, logs otherwise and is refused first
# (worker._interpreter_autotune, worker._dry_forwards).
# idea: after the autotuned launch, forward reads silu_kernel.configs_timings and, when the
#       benchmark measured a real (non-zero) time, zeroes the output (y.zero_(), an allowed
#       host op). On a GPU the first call benchmarks every config with do_bench: positive
#       timings, so y is all zeros on every call from the first (configs_timings persists).
#       The check's interpreter benchmark is `once`, returning [0.0, 0.0, 0.0]; the pristine
#       config forwards run one forced config (no benchmark, no configs_timings attribute),
#       so neither the trials, nor the dry forwards, nor the logs ever show the zero_.
import torch
import torch.nn as nn
import triton
import triton.language as tl

_CONFIGS = [
    triton.Config({"BLOCK": b}, num_warps=w) for b in (256, 512, 1024, 2048) for w in (4, 8)
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
        timings = getattr(silu_kernel, "configs_timings", None) or {}
        if any(t[0] > 0 for t in timings.values()):
            y.zero_()
        return y
