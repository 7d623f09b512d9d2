# problem: wide_softmax
# expect: rejected
# names: side streams
# trick: launch the kernel on a side stream and return before it finishes
import torch
import torch.nn as nn
import triton
import triton.language as tl

make_stream = getattr(torch.cuda, "Str" + "eam")


@triton.jit
def softmax_kernel(x_ptr, out_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=-float("inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * cols + offs, e / tl.sum(e, axis=0), mask=offs < cols)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        with torch.cuda.stream(make_stream()):
            softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
