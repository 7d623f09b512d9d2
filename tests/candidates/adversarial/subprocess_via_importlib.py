# problem: wide_softmax
# expect: rejected
# names: its launch log cannot describe
# trick: compute the softmax in a helper process (subprocess imported by a name the static check
# cannot read) and copy its answer out with a kernel. No run-time guard watches processes any
# more: the answer comes back through torch.load, whose storage the launch log cannot describe
# (had it been copied in some other way, the replay would copy a foreign buffer: poison)
import importlib
import os
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl

sp = importlib.import_module("sub" + "process")
HELPER = "import sys, torch; torch.save(torch.softmax(torch.load(sys.argv[1]), -1), sys.argv[1])"


@triton.jit
def copy_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(src_ptr + offs, mask=offs < n), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        path = os.path.abspath("x.pt")
        torch.save(x, path)
        sp.run([sys.executable, "-c", HELPER, path], check=True)
        answer = torch.load(path)
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](answer, out, x.numel(), BLOCK=1024)
        return out
