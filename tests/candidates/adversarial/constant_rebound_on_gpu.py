# problem: silu
# expect: compile_error
# names: is bound or changed more than once
# class: 7 (a kernel body that is not Triton: the kernel the replay extracts is not the one a GPU runs)
# Closed: a module-level name a kernel reads must be bound once in the whole module (not again under
# an `if`, a `try`, a loop, an import or a function's `global`; kernel_source._rebound), or the
# kernel is not extracted. Correct on db7da38 (session 26, eleventh round, an informed attacker's).
# The attacker's notes:
# class: extraction of the kernels into the replay (module constants) / state the check never sees
# idea: the extraction keeps only top-level `NAME = constant` statements; a rebinding nested in
#       an `if` is blanked. GATE is 1.0 at top level (what the replay and the evidence compile
#       use) and rebound to 0.0 under `if torch.cuda.is_available():` at import. On the CPU the
#       candidate's process, the replay and the compile all read 1.0 and agree; on a GPU the
#       candidate's live module (what the user runs) compiles its kernel with GATE = 0.0: zeros.
import torch
import torch.nn as nn
import triton
import triton.language as tl

GATE = tl.constexpr(1.0)
if torch.cuda.is_available():
    GATE = tl.constexpr(0.0)


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) * GATE, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
