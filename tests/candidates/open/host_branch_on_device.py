# problem: silu
# expect: incorrect
# names: a Triton kernel
# class: interpreter vs GPU execution (issue 14)
# OPEN: a known false accept on the CPU (session 26, eleventh round, an informed attacker's; correct
# on db7da38). Host code takes the honest path on CPU tensors and torch's own silu on CUDA ones; the
# CPU check records and replays only the CPU path. On a GPU the check is built to refuse it (its
# profiler lists the kernels that ran, aten's and not the candidate's, and the replay's outputs are
# held against the candidate's), but no GPU has run it yet. The rule that would close it here: run forward once on tensors that
# say they are on a GPU (fake tensors of device cuda) and require the same launch log.
# The attacker's notes:
# class: (2) compute outside the traced window (a host path the CPU check never takes)
# idea: forward takes the honest Triton path only when its input is on the CPU; on a GPU it
#       returns torch's own silu (no kernel of the candidate's at all, or the check's worst
#       case: a cheap wrong answer). The CPU check only ever records and replays the CPU path.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        if x.is_cuda:
            return torch.nn.functional.silu(x)
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
