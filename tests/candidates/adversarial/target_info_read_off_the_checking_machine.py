# problem: silu
# expect: compile_error
# names: folds `is_cuda()` to True
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since: the
# evidence compile runs with the chip it compiles for as Triton's current target (aot._current_target),
# so it folds is_cuda() as a GPU's compile does, and the interpreter's value disagrees. The attacker's notes:
# `triton.language.target_info.is_cuda()` is a constexpr_function the code generator evaluates
# from the *machine's* active driver (`driver.active.get_current_target()`), not from the target it
# compiles for. On the CPU check machine there is no driver: None, so is_cuda() is False for the
# evidence compile (sm_90 and gfx942 alike) and for the interpreter, and both agree. On a GPU it is
# True, and the GPU compiles the other branch.
#
# Idea. triton/language/target_info.py: `current_target()` -> `driver.active` (RuntimeError on a
# CPU, caught: None). kernelwright's compile (aot.compile_one / ttir.front_end with
# GPUTarget('cuda', 90, 32)) never installs the target it compiles for as the current one. The
# static check compares compile vs interpreter on the same CPU machine: False == False.
#
# Here: `if is_cuda(): store zeros else: store SiLU`. CPU compile: `is_cuda()` recorded False,
# interpreter False: correct. On an H100/MI300 (cuda_capability_geq, is_hip likewise) the launcher's
# compile takes the other branch (shown with the current target set to cuda/90: the TTIR stores
# `dense<0.0>`).
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.target_info import is_cuda

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if is_cuda():
        tl.store(y_ptr + offs, tl.zeros((BLOCK,), tl.float32), mask=mask)
    else:
        x = tl.load(x_ptr + offs, mask=mask)
        tl.store(y_ptr + offs, x / (1.0 + tl.exp(-x)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
