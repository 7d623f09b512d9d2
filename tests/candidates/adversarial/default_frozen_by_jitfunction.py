# problem: silu
# expect: rejected
# names: its signature was
# class: kernel constants: a constexpr parameter's default (evaluated at def time, outside the kernel's code and its identity), frozen by the GPU's JITFunction at decoration
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: a launch
# whose function's signature is not the one @triton.jit read when it wrapped it is refused
# (kernel_identity.changed_since_jit).
# idea: BETA's default is the module name SCALE, 2.0 when the def runs (x*sigmoid(2x): wrong) and
#   rebound to 1.0 after it (a default's names are the module's symbols, not the kernel's, so
#   _rebound never sees them; the identity walks the code's co_names, which hold no defaults).
#   __init__ sets the Python def's __defaults__ to (1.0,). On a GPU JITFunction.__init__ took
#   inspect.signature(fn) at decoration and its binder fills BETA=2.0: every launch computes
#   x*sigmoid(2x) (DependenciesFinder skips defaults, so no changed-global error). The
#   interpreter re-executes the def at first launch (SCALE is 1.0 then) and the recorder binds
#   with inspect.signature(fn) live (1.0): host trials see silu, the log records BETA=1.0 and
#   the replay passes it explicitly.
import torch
import torch.nn as nn
import triton
import triton.language as tl

SCALE = 2.0


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, BETA: tl.constexpr = SCALE):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(BETA * x), mask=mask)


SCALE = 1.0


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        python_def = silu_kernel.fn
        python_def.__defaults__ = (SCALE,)

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
