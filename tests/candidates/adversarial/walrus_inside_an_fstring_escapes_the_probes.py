# problem: silu
# expect: compile_error
# names: NamedExpr is not Triton
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since:
# a value bound inside an expression (`:=`) is refused in a kernel body
# (kernel_source.DENIED_NODES): bound in an f-string, which no probe enters, it carried a value
# the compiler fixed otherwise out under a name.
# The attacker's notes:
# The probe wrapper never descends into an f-string; a walrus inside one binds a kernel name.
#
# Idea. static_values._Wrapper.visit returns at `ast.JoinedStr` ("an f-string's parts are no
# expressions to wrap"), but the code generator evaluates every FormattedValue (visit_JoinedStr ->
# self.visit(value.value)) and Python too: a NamedExpr in there binds `flag` in the kernel's scope
# on both sides. The code generator's walrus is an Assign (to_tensor: an i1 tensor holding the
# folded `print is tl.device_print`, True), the interpreter's is Python's (False: no
# ASTTransformer rewrite, `print` is Python's print). The f-string must format to a constexpr, so
# the walrus sits in a list whose item [1] is a literal. Nothing about `flag` is plain afterwards on
# the compiled side (it is a tensor), so `tl.where(flag, ...)` is never compared either; the compile
# side does record the Compare inside the f-string, but no probe has its key.
#
# Compiled: flag is the constant True: zeros stored (TTIR stores dense<0.0>). Interpreted: flag is
# False: SiLU stored.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    f"{[(flag := print is tl.device_print), 0][1]}"
    y = tl.where(flag, 0.0, x / (1.0 + tl.exp(-x)))
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y
