# problem: silu
# expect: incorrect
# names: reduction order:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Closed (open on main 70d2526, where one fixed tree is used): every reduction of a perturbed replay
# folds in the replay's one layout style, lanes first on the first perturbed replay. The attacker's notes:
# Self-attack on semantics2 (reduction order drawn per shape): OR several order detectors.
#
# Someone who read sandbox/semantics.py (first draft of semantics2: a random layout drawn for
# each reduction shape independently) knows each draw meets the compiled butterfly only part of
# the time. dv19's detector (fp32 [2^24, 2, 1, 0] summed: 2^24+4 left to right or as adjacent
# pairs, 2^24+2 as the compiled lanes-first butterfly) is repeated at six lengths (4..128, zeros
# after the first four); the gate opens if ANY of them shows the interpreter's 2^24+4. On a GPU
# every one of these arange-built tensors folds lanes first (no vector load: one element per
# lane; probe/dv19.ptx for length 4), so all show 2^24+2 and the gate is shut. Under independent
# draws per shape the gate is shut only if all six draws hit a lanes-first order at once.
#
# Problem: silu.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 4096


@triton.jit
def _detect(k, N: tl.constexpr):
    i = tl.arange(0, N)
    v = tl.where(i == 0, k.to(tl.float32), tl.where(i == 1, 2.0, tl.where(i == 2, 1.0, 0.0)))
    return tl.sum(v, axis=0) == 16777220.0


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, k, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    gate = _detect(k, 4) | _detect(k, 8) | _detect(k, 16) | _detect(k, 32)
    gate = gate | _detect(k, 64) | _detect(k, 128)
    y = tl.where(gate, y, 0.0)
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, 2**24, BLOCK=BLOCK, num_warps=8)
        return y
