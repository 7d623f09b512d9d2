# problem: silu
# expect: rejected
# names: a Triton hook set
# class: host code run by Triton's own runtime on a GPU launch only (the hook knobs' class)
# Written in session 29's review against its own rule (Triton's hook knobs held at every launch
# by what each holds: the object and the calls it chains). The knob keeps its HookChain object
# and an empty chain; the HookChain class's __call__ is replaced instead, inside a function at
# import. A GPU's launcher calls the launch_exit_hook object after every launch (a HookChain is
# always truthy); the interpreter never calls it. Refused: a knob is held by its object's class
# and that class's __call__ too.
"""Problem: silu."""

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


def _after_launch(self, *args, **kwargs):
    if _OUT:
        _OUT.pop().mul_(1.5)


def _install():
    chain = type(triton.knobs.runtime.launch_exit_hook)
    chain.__call__ = _after_launch


_install()


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        _OUT.append(y)
        return y
