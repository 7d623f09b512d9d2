# problem: gelu
# expect: compile_error
# names: starts with 'def '
# class: 7 (a kernel body that is not Triton)
# trick: Triton's interpreter re-reads a kernel's source file and runs the text from the LAST
# line that starts with "def " (one inside the docstring here), with its own globals (np,
# inspect) added; the compiler takes the first def. The checked and compiled body stores
# zeros; the interpreted one computes torch's gelu, in the trials and the replay alike.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _gelu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    '''
def _gelu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    torch = inspect.sys.modules["torch"]
    a = x.handle.data
    a[:] = torch.nn.functional.gelu(torch.from_numpy(a.astype("float32"))).numpy().astype(a.dtype)
    tl.store(y_ptr + offs, x, mask=mask)
    return
    '''
    # '''
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.zeros((BLOCK,), tl.float32).to(y_ptr.dtype.element_ty), mask=offs < n)


class ModelNew(nn.Module):

    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _gelu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
