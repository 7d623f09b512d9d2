# problem: silu
# expect: incorrect
# names: outside atol | of elements
# class: state kept on the device across forwards, in a buffer no replay starts from its real value
# Found by session 29's second attacker round (correct at ae25d7d). Refused since session 29:
# memory made outside forward is another poison in every second replay (all-ones, then 0x7f
# bytes: a large positive number in every dtype), so a kernel that relies on what it holds
# computes otherwise in one of them (replay._FOREIGN_FILLS).
# observed: correct (ae25d7d). Called directly in the interpreter: calls 1-2 exact, 3+ off by ~2.
# idea: a one-program kernel increments an int32 counter held in a plain attribute tensor (made
#       on the first call, then neither input, state nor made by forward: "foreign"); the SiLU
#       kernel reads it (k on the k-th call) and adds 0.5*x once it is >= 3. Host trials see 1 and 2
#       (right); dry calls
#       run no kernel so log the same; the replay poisons foreign buffers with 0xFF = -1 (right).
#       On a GPU the third and every later forward computes silu(x) + 0.5*x.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bump_kernel(c_ptr):
    c = tl.load(c_ptr)
    tl.store(c_ptr, c + 1)


@triton.jit
def silu_kernel(x_ptr, y_ptr, c_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    c = tl.load(c_ptr)
    extra = tl.where(c >= 3, 0.5, 0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) + extra * x, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnt = None

    def forward(self, x):
        x = x.contiguous()
        if self.cnt is None:
            self.cnt = torch.zeros(1, dtype=torch.int32, device=x.device)
        y = torch.empty_like(x)
        n = x.numel()
        bump_kernel[(1,)](self.cnt)
        BLOCK = 1024
        silu_kernel[(triton.cdiv(n, BLOCK),)](x, y, self.cnt, n, BLOCK=BLOCK)
        return y
