# problem: wide_softmax
# expect: rejected
# names: its launch log cannot describe
# class: 2 (compute outside the traced window)
# trick: a child process forked through the posix module (os.fork is guarded, posix.fork is the
# same C function under another name) computes the softmax into a shared-memory output; the
# parent waits and returns it
import posix

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


torch.set_num_threads(1)  # a forked child must not wait on the parent's OpenMP pool


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x).share_memory_()
        pid = getattr(posix, "fo" + "rk")()
        if pid == 0:
            out.copy_(torch.softmax(x, dim=-1))
            getattr(posix, "_ex" + "it")(0)
        posix.waitpid(pid, 0)
        touch_kernel[(1,)](out)
        return out
