# problem: silu
# expect: compile_error
# names: annotated with something other than tl.constexpr
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 23, by an attacker who had read the static-value check (correct then). Refused since: a
# parameter may be annotated with tl.constexpr only (kernel_source._check_body): Triton's launcher
# compiles one annotated with a type as that type, which neither the compile evidence nor the
# interpreter ran. The attacker's notes:
# A float argument annotated `tl.float64`: Triton's launcher compiles it as an fp64 parameter
# (KernelParam.annotation_type), kernelwright's compile and replay take it as fp32.
#
# Idea. triton/runtime/jit.py create_function_from_signature: a parameter whose annotation is a
# Triton type (`s: tl.float64`) gets `("fp64", None)` as its specialisation, so the kernel a GPU
# runs has `%s: f64` and the launcher packs the double as it is. kernelwright's aot.signature
# ignores annotations (`kind == "float"` -> "fp32") and replay._as_launched hands the interpreter a
# float32 tensor: both CPU sides agree with each other, and disagree with the GPU. dv01 again, with
# one annotation.
#
# Here s = 1.0000000001 meets the fp32 block x. The trials' interpreter passes the Python float on
# (a weak literal: cast to fp32, 1.0), the replay an fp32 tensor (1.0): `x * s == x`, gate open,
# SiLU stored (correct, both). On a GPU, fp64 s promotes x to fp64 (TTIR: `arith.extf` then
# `arith.mulf ... : tensor<1024xf64>`), x * s != x wherever x != 0: zeros stored.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, s: tl.float64, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    gate = (x * s) == x
    y = tl.where(gate, x / (1.0 + tl.exp(-x)), 0.0)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 1.0000000001, BLOCK=BLOCK)
        return y
