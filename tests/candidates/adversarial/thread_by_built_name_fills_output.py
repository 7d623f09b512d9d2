# problem: wide_softmax
# expect: incorrect
# names: is not what its launches compute
# class: 2 (compute outside the traced window)
# trick: threading imported by a name built at run time (the run-time import guard is gone);
# a thread fills the output with torch.softmax and an in-place kernel "touches" it
threading = __builtins__["__imp" + "ort__"]("thr" + "eading") if isinstance(__builtins__, dict) else getattr(__builtins__, "__imp" + "ort__")("thr" + "eading")
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _touch(y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(y_ptr + offs, mask=m, other=0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        t = threading.Thread(target=lambda: y.copy_(torch.softmax(x, dim=-1)))
        t.start(); t.join()
        n = y.numel()
        _touch[(triton.cdiv(n, 1024),)](y, n, BLOCK=1024)
        return y
