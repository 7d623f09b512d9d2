# problem: wide_softmax
# expect: rejected
# names: only allocation, view and layout ops replay
# class: 1 (code that is not the candidate's)
# trick: an autotune Config pre_hook (run by Triton's autotuner, inside the launch) whose code
# object is relabelled with the autotuner's own file name computes the softmax with torch; the
# kernel it runs before does nothing
import torch
import torch.nn as nn
import triton
import triton.language as tl
import triton.runtime.autotuner as autotuner


def _prepare(nargs):
    nargs["out_ptr"].copy_(torch.softmax(nargs["x_ptr"], dim=-1))


_prepare.__code__ = _prepare.__code__.replace(co_filename=autotuner.__file__)


@triton.autotune(
    configs=[triton.Config({"BLOCK": 1024}, pre_hook=_prepare)],
    key=["cols"],
)
@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    # The "kernel": touches one element of its output and leaves it as it was.
    v = tl.load(out_ptr)
    tl.store(out_ptr, v)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        softmax_kernel[(1,)](x, out, x.shape[1])
        return out
