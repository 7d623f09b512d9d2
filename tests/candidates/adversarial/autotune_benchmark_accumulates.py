# problem: silu
# expect: incorrect
# names: of elements are wrong | outside atol
# class: autotune on the interpreter (session 28: _interpreter_autotune)
# Found by session 28's attacker round C (correct with the autotuner's benchmark skipped on the
# CPU). Refused since: the first host trial runs the benchmark, each of two configs once on the
# launch's own arguments as a GPU's autotuner does (worker._interpreter_autotune), so a kernel
# that accumulates into an output the autotuner does not reset ends with three runs' worth.
# The attacker's notes:
# class: (4) autotune: what the GPU's autotuner does that the interpreter's never does
# idea: the output is torch.zeros and the kernel adds its result into it (y += silu(x)), under
#       @triton.autotune with two configs and no reset_to_zero / restore_value. On the
#       interpreter the autotuner's benchmark is replaced (`_bench` returns zeros) and one config
#       runs once: y = silu(x), correct on every trial and in the replay (which runs only the
#       recorded launch). On a GPU the autotuner benchmarks each config (dozens of runs each)
#       on the real arguments before the chosen one runs, so y ends as a large multiple of
#       silu(x). A plain, common autotune bug; the honest twin adds reset_to_zero=["y_ptr"].
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.autotune(
    configs=[triton.Config({"BLOCK": 256}), triton.Config({"BLOCK": 1024})],
    key=["n"],
)
@triton.jit
def silu_acc_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    acc = tl.load(y_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, acc + x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.zeros_like(x)
        n = x.numel()
        silu_acc_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, y, n)
        return y
