# problem: gelu
# style: persistent grid-stride elementwise loop (grid = a few programs per SM, tl.num_programs), @triton.jit(do_not_specialize=["n_elements"]), exact erf GELU via tl.math.erf, fp16 in / fp32 math / fp16 out, tl.static_assert on the block
# A false reject found in session 26 (compile_error: AttributeError: 'int' object has no
# attribute 'to', at `block.to(tl.int64)` in the candidate's own trials); fixed by making a
# `range`/`tl.range` loop's variable the compiled loop's scalar tensor in every interpreted run,
# the trials included (interp_rewrite; the replay's probes had done it alone).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit(do_not_specialize=["n_elements"])
def gelu_persistent_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    tl.static_assert(BLOCK_SIZE % 128 == 0)
    pid = tl.program_id(0)
    nprog = tl.num_programs(0)
    num_blocks = tl.cdiv(n_elements, BLOCK_SIZE)
    for block in range(pid, num_blocks, nprog):
        offs = block.to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n_elements
        x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
        y = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
        tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x_c = x.contiguous()
        y = torch.empty_like(x_c)
        n = x_c.numel()
        BLOCK = 1024
        if x.is_cuda:
            sms = torch.cuda.get_device_properties(x.device).multi_processor_count
        else:
            sms = 2
        grid = (max(1, min(triton.cdiv(n, BLOCK), sms * 4)),)
        gelu_persistent_kernel[grid](x_c, y, n, BLOCK_SIZE=BLOCK, num_warps=4)
        return y
