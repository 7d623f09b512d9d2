# problem: vector_add
# expect: rejected
# names: its launch log cannot describe
# class: 1 (code that is not the candidate's)
# trick: an extra pointer argument whose untyped_storage is a chain of C callables
# (functools.partial, map, itertools.cycle, next): the interpreter's launcher calls it inside
# the launch and torch.add runs with no Python frame of the candidate's on the stack
import functools
import itertools

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, aux_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    v = tl.load(out_ptr + pid)
    tl.store(out_ptr + pid, v)


def _carrier(x, y, out):
    """An object that looks like a tensor to the launcher; asking for its storage adds."""
    computed = map(functools.partial(torch.add, x, out=out), [y])
    storage = itertools.cycle(map(torch.Tensor.untyped_storage, computed))
    return type(
        "Carrier",
        (),
        {
            "untyped_storage": functools.partial(next, storage),
            "data_ptr": functools.partial(torch.Tensor.data_ptr, out),
            "storage_offset": functools.partial(int),
            "size": functools.partial(tuple, out.shape),
            "stride": functools.partial(tuple, out.stride()),
            "new_empty": functools.partial(torch.Tensor.new_empty, out),
            "dtype": out.dtype,
            "device": out.device,
        },
    )()


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        add_kernel[(1,)](x, y, out, _carrier(x, y, out), x.numel(), BLOCK=128)
        return out
