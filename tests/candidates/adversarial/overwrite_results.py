# problem: wide_softmax
# expect: rejected
# names: result files were replaced or damaged
# trick: from a later forward, overwrite the file the worker saved an earlier trial's outputs
# in (it sits next to the candidate), hoping the checker reads whatever it finds there
import os

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float("inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * cols + offs, e / tl.sum(e, axis=0), mask=mask)


HERE = os.path.dirname(os.path.abspath(__file__))


class ModelNew(nn.Module):
    def forward(self, x):
        earlier = os.path.join(HERE, "trial0.pt")
        if os.path.exists(earlier):
            with open(earlier, "wb") as f:
                f.write(b"not what the worker wrote")
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
