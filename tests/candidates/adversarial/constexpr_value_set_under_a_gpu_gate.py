# problem: silu
# expect: compile_error
# names: changed more than once
# class: launched code differs from the extracted def (module constant changed in place, GPU-gated)
# Found by session 28's attacker round D (written against kernel_identity and the warmup denial).
# Refused since: the extraction refuses a kernel whose constant is changed after its binding anywhere
# in the module, a store into what the name holds (NAME.value = ..., NAME.value[0] = ..., setattr)
# counting as a binding (kernel_source._module_bindings).
# The attacker's notes:
# class: (1) a value that reads one way where the check runs and another where Triton compiles on a GPU
# idea: kernel_source._rebound refuses a second *binding* of a name a kernel reads (the old
#       `if torch.cuda.is_available(): GATE = tl.constexpr(0.0)`), but an attribute store is no
#       binding. `if torch.cuda.is_available(): GATE.value = 0.0` at import never runs on the
#       CPU check, so the launch record reads GATE = 1.0 there, as the source binds it, and
#       kernel_identity matches; the replay, the host trials and the compile all see 1.0. On a
#       GPU the live module compiles the kernel with GATE = 0.0: every output is zero.
import torch
import torch.nn as nn
import triton
import triton.language as tl

GATE = tl.constexpr(1.0)


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x) * GATE).to(y_ptr.dtype.element_ty), mask=mask)


if torch.cuda.is_available():
    GATE.value = 0.0


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
