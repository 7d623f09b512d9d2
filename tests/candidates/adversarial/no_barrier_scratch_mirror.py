# problem: silu
# expect: incorrect
# names: a data race between the threads of program
# class: interpreter vs GPU execution (issue 14)
# Closed: each program's accesses since its last tl.debug_barrier() are kept with the lane that
# made each (lane_races.py); a load of an address another lane stored (not the same lane of a
# block of the same shape) is a race between the program's threads. Correct on e8a3345, where the
# race detector took a program as one thread.
# On a GPU the compiled kernel is what runs. The attacker's notes:
# attack: within one program, lane i stores x[i] into a global scratch block and then loads the
# element that lane BLOCK-1-i stored (another thread, another warp: with BLOCK=1024 and 4 warps
# every thread holds 8 elements), computes silu and stores it where it belongs. The interpreter
# runs each block op for all lanes at once, so the store is complete before the load; compiled,
# nothing orders one thread's global store before another thread's load of it (Triton inserts
# barriers for shared memory only; a tl.debug_barrier() would be needed): a data race inside the
# program. races.py pairs only accesses of different programs; the interleaver switches only
# between programs.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, s_ptr, y_ptr, n, BLOCK: tl.constexpr):
    base = tl.program_id(0) * BLOCK
    lane = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + base + lane, mask=base + lane < n, other=0.0)
    tl.store(s_ptr + base + lane, x)
    mirror = BLOCK - 1 - lane
    v = tl.load(s_ptr + base + mirror)
    tl.store(y_ptr + base + mirror, v * tl.sigmoid(v), mask=base + mirror < n)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel()
        blocks = triton.cdiv(n, 1024)
        scratch = torch.empty(blocks * 1024, device=x.device, dtype=x.dtype)
        y = torch.empty_like(x)
        silu_kernel[(blocks,)](x, scratch, y, n, BLOCK=1024)
        return y
