# problem: argmax
# expect: compile_error
# names: _host_argmax
# class: 7 (a kernel body that is not Triton)
# trick: the @triton.jit body calls a plain Python helper (not @triton.jit) that runs
# numpy.argmax on the interpreter's arrays; on a GPU a jit function cannot call host code
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _host_argmax(block, n):
    values = block.handle.data[:n]
    block.handle.data = np.full(block.handle.data.shape, np.argmax(values), dtype=np.int64)
    return block


@triton.jit
def argmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=-float("inf"))
    idx = _host_argmax(x, cols).to(tl.int64)
    tl.store(out_ptr + row + offs * 0, idx, mask=offs == 0)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
        argmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
