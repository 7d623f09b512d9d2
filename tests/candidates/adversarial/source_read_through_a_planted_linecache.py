# problem: silu
# expect: incorrect
# names: outside atol | is not the @triton.jit def
# class: kernel identity: the text a GPU's JITFunction compiles (read through linecache once, at decoration) vs the text the identity, the interpreter and the extraction read later
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: the
# source of every function @triton.jit wraps is read when it wraps it, as a GPU's JITFunction
# reads it, and the interpreter runs that text (its read-once source cache, interpreter_cache):
# the planted text runs on the CPU too, and the replay, made from the real file, disagrees.
# idea: just before the def the module plants a linecache entry for its own file (mtime None,
#   so inspect's checkcache keeps it) whose kernel line stores x*sigmoid(2x); right after the
#   def it deletes the entry. On a GPU, JITFunction.__init__ calls inspect.getsourcelines(fn)
#   while the entry is there: its src (what it parses, hashes and compiles) is the planted,
#   wrong text, so every launch stores x*sigmoid(2x). The interpreter reads the source at its
#   first launch, the identity at each launch and the extraction from the file: all see the
#   real def (silu), so host trials, digests and the replay agree.
import linecache

import torch
import torch.nn as nn
import triton
import triton.language as tl

_planted = [
    line.replace("x * tl.sigmoid(x)", "x * tl.sigmoid(2.0 * x)")
    if line.startswith("    tl.store(")
    else line
    for line in linecache.getlines(__file__)
]
linecache.cache[__file__] = (len("".join(_planted)), None, _planted, __file__)


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


linecache.cache.pop(__file__, None)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
