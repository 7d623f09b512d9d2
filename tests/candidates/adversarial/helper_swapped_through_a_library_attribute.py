# problem: silu
# expect: compile_error
# names: changed more than once | is not the @triton.jit def
# class: launched code differs from the extracted def (kernel identity, session 28)
# Found by session 28's attacker round C (written against kernel_identity). Refused since: each
# launch also records the @triton.jit helpers and constants a kernel reaches as attributes of a
# module it holds (kwlib.store_vec, tl.sum) and through other modules' names, keyed by module, and
# the replay resolves them in modules it imports itself. Since round D the extraction refuses it
# first: the store into kwlib counts as a second binding of a name the kernel reads.
# The attacker's notes:
# class: (1) a helper reached other than by a module global name
# idea: the kernel calls kwlib.store_vec through the module kwlib. At import, host code rebinds
#       the library's attribute (`kwlib.store_vec = scribbling_store`; kwlib is no protected root
#       of the static guard). kernel_identity only follows the kernel's module-global names (kwlib
#       is a module: skipped; store_vec is no global of the candidate's), so the record matches
#       the extraction, and the trusted replay imports an untouched kwlib and runs the honest
#       store. The candidate's process, and a GPU, call scribbling_store: before storing its own
#       block, each program writes zeros over the next program's block. The interpreter runs
#       programs in increasing order, so the next program overwrites the zeros and the
#       candidate's own outputs are right; on a GPU programs run in any order and blocks whose
#       successor program ran first end as zeros (an inter-program write race).
import torch
import torch.nn as nn
import triton
import triton.language as tl
from kernelwright.prompts import kwlib


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = kwlib.load_vec(x_ptr, offs, n)
    kwlib.store_vec(y_ptr, x * tl.sigmoid(x), offs, n)


@triton.jit
def scribbling_store(ptr, value, offs, n):
    span = tl.max(offs, 0) - tl.min(offs, 0) + 1
    nxt = offs + span
    tl.store(ptr + nxt, tl.zeros_like(value).to(ptr.dtype.element_ty), mask=nxt < n)
    tl.store(ptr + offs, value.to(ptr.dtype.element_ty), mask=offs < n)


kwlib.store_vec = scribbling_store


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 256),)](x, y, n, BLOCK=256)
        return y
