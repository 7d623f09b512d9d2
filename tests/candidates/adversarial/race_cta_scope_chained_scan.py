# problem: cumsum
# expect: incorrect
# names: has scope="cta"
# class: interpreter vs GPU execution (issue 14, diverge root 5; attack2 a09)
# Closed: flags of scope "cta" order nothing between programs (races.py; interleave.py draws them
# as neither acquire nor release, still handing over so the wait ends). Correct on main a9901fc.
# attack: a chained scan (each column block waits for its left neighbour's flag, then adds the
# neighbour's inclusive prefix) whose flag is released and acquired with scope="cta". The wait
# is real, so the interleaver and the one-hop happens-before accept it; but a CTA-scope
# release/acquire does not order the neighbour's plain store of its prefix for a program on
# another SM: the prefix read may be stale. Neither races.py nor interleave.py reads the scope.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scan_kernel(x_ptr, y_ptr, pre_ptr, flag_ptr, cols, NB: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    blk = tl.program_id(1)
    offs = blk * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    run = tl.cumsum(x, axis=0)
    carry = 0.0
    if blk > 0:
        while tl.atomic_add(flag_ptr + row * NB + blk - 1, 0, sem="acquire", scope="cta") == 0:
            pass
        carry = tl.load(pre_ptr + row * NB + blk - 1)
    tl.store(pre_ptr + row * NB + blk, carry + tl.sum(x, axis=0))
    tl.atomic_xchg(flag_ptr + row * NB + blk, 1, sem="release", scope="cta")
    tl.store(y_ptr + row * cols + offs, run + carry, mask=offs < cols)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        nb = triton.cdiv(cols, 1024)
        y = torch.empty_like(x)
        pre = torch.zeros(rows * nb, device=x.device, dtype=torch.float32)
        flag = torch.zeros(rows * nb, device=x.device, dtype=torch.int32)
        scan_kernel[(rows, nb)](x, y, pre, flag, cols, NB=nb, BLOCK=1024)
        return y
