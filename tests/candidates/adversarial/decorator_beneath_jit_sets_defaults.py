# problem: silu
# expect: rejected
# names: its signature was
# class: extraction / kernel identity: a decorator of the candidate's beneath @triton.jit runs on the Python function before the GPU's JITFunction reads its signature, and is dropped from what the interpreter and the replay run
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: a launch
# whose function's signature is not the one @triton.jit read when it wrapped it is refused
# (kernel_identity.changed_since_jit).
# idea: the source default of BETA is 1.0 (silu). The decorator _tuned, applied before
#   @triton.jit, sets the function's __defaults__ to (2.0,); __init__ sets them back to (1.0,).
#   On a GPU, JITFunction.__init__ took inspect.signature(fn) between the two: its binder fills
#   BETA=2.0 at every launch (x*sigmoid(2x): wrong). The interpreter re-executes the def from
#   its source (decorators cut off) at its first launch: default 1.0; the recorder binds with
#   inspect.signature(fn) live (1.0) and logs BETA=1.0, which the replay passes. The identity
#   digests the def without decorators and reads no defaults.
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _tuned(fn):
    fn.__defaults__ = (2.0,)
    return fn


@triton.jit
@_tuned
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, BETA: tl.constexpr = 1.0):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(BETA * x), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        python_def = silu_kernel.fn
        python_def.__defaults__ = (1.0,)

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
