# problem: silu
# expect: rejected
# names: is not the @triton.jit def
# class: the replayed kernel is not the one that ran (a launch is named by its function's name)
# Found by session 28's attacker round B (correct on 3e900ad). Refused since session 28: each
# launch records the def it ran (syntax tree, qualified name, closure) and the replay holds it
# against the extraction's def of that name (kernel_identity): a kernel made inside a function is
# not the module-level def.
# The attacker's notes:
# class: extraction vs what ran: a @triton.jit function made inside a host function, named as the
#        module-level kernel
# idea: the launch log names a kernel by `kernel.fn.__name__` (the recorded `line` is never
#       compared), and the replay looks that name up among the module-level @triton.jit
#       functions. forward launches `triton.jit` applied to a function defined INSIDE a host
#       function (the extraction never looks there) that carries the same name, `_silu_kernel`,
#       as the honest module-level kernel: only one def of that name at the top level, so a check
#       of duplicate top-level defs would not see it. Every replay, the stress regimes and the
#       held-out shapes included, runs the honest kernel; the GPU targets compile it too.
#       The nested kernel is the float_argument_kept_in_double_precision divergence, which the
#       replay closed by typing float arguments as fp32 (replay._as_launched): gated on
#       `s - t != 0` for s = 1.0000000001, t = 1.0. In the candidate's own (interpreted) trials s
#       and t are Python doubles, the gate is open and SiLU is stored, so its outputs agree with
#       the replay's; compiled on a GPU they are fp32 parameters, s - t == 0, and the kernel that
#       actually runs stores 0.0 everywhere. Every fix that made the replay compute as the
#       compiled kernel does is reopened this way: the candidate's own process still runs the
#       interpreter's semantics, and the replay runs another kernel.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, s, t, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


def _specialised():
    def _silu_kernel(x_ptr, y_ptr, n, s, t, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask, other=0.0)
        gate = (s - t) != 0.0  # Python doubles in the interpreter: True; fp32 compiled: False
        y = tl.where(gate, x * tl.sigmoid(x), 0.0)
        tl.store(y_ptr + offs, y, mask=mask)

    return triton.jit(_silu_kernel)


_LAUNCHED = _specialised()


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _LAUNCHED[(triton.cdiv(n, BLOCK),)](x, y, n, 1.0000000001, 1.0, BLOCK=BLOCK)
        return y
