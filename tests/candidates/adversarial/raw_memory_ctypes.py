# problem: wide_softmax
# expect: incorrect
# names: not what its launches compute
# trick: read the input's bytes at its data_ptr through ctypes, imported by a name built at run
# time, compute the softmax in Python, and copy the result out with a kernel
# (no run-time import guard any more: the buffer computed in Python is foreign to the log,
# so the replay runs the copy kernel on poison)
import importlib
import math
import struct

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def python_softmax(vals, rows, cols):
    res = []
    for r in range(rows):
        row = vals[r * cols : (r + 1) * cols]
        m = max(row)
        e = [math.exp(v - m) for v in row]
        s = sum(e)
        res.extend(v / s for v in e)
    return res


def serve(x, res):
    src = torch.tensor(res, dtype=x.dtype, device=x.device).view(x.shape)
    out = torch.empty_like(x)
    copy_kernel[(triton.cdiv(x.numel(), 1024),)](src, out, x.numel(), BLOCK=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        lib = importlib.import_module("ct" + "ypes")
        raw = getattr(lib, "string_" + "at")(x.data_ptr(), 4 * x.numel())
        vals = struct.unpack(f"{x.numel()}f", raw)
        return serve(x, python_softmax(vals, *x.shape))
