# problem: silu
# expect: rejected
# names: a Triton hook set
# class: host code run by Triton's own runtime on a GPU launch only (knobs.runtime.launch_exit_hook)
# Found by session 29's second attacker round (correct at ae25d7d). Refused since session 29:
# every launch or compile holds Triton's hook knobs (triton.knobs.*: launch_enter_hook,
# launch_exit_hook, jit_cache_hook, the autotuner's listener, ...) against what they held before
# any candidate, and a change is refused (guards._hooks_changed).
# observed: correct (ae25d7d); an assignment rooted at `triton` is refused by the static guard,
#       and a top-level alias by the kernel extraction: the hook is set inside a plain function.
# idea: at import the module sets triton.knobs.runtime.launch_exit_hook (through an alias: the
#       static guard only sees assignments rooted at a protected name). A compiled GPU launch
#       (JITFunction.run -> CompiledKernel.run) calls it right after every launch; the interpreter's
#       InterpretedFunction never does. Forward stashes its output; the hook scales it by 1.5 in
#       place. The CPU check's trials, dry calls and replays never run the hook: all honest SiLU.
#       On a GPU every forward returns 1.5*silu(x). No branch on the device: Triton's runtime
#       chooses the path.
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


_OUT = []


def _after_launch(*args, **kwargs):
    if _OUT:
        _OUT.pop().mul_(1.5)


def _install():
    rt = triton.knobs.runtime
    rt.launch_exit_hook = _after_launch


_install()


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        BLOCK = 1024
        _OUT[:] = [y]
        silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        _OUT.clear()
        return y
