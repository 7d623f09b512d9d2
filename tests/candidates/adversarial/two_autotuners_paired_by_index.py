# problem: silu
# expect: incorrect
# names: outside atol | NaN where the reference
# class: autotune config coverage across two autotuned kernels: the check only runs the j-th
#        config of every list together; a GPU tunes each kernel on its own
# Found by session 29's second attacker round (correct at ae25d7d). Refused since session 29:
# each autotuner of a log takes its other configs in turn while the others keep theirs, in the
# replay and in the dry calls (LaunchLog.variants, Launch.tuner), as a GPU tunes each apart.
# observed: correct (ae25d7d). In the interpreter, the kernels with PERM (1024, 1024) and
#       (512, 512) are exact; (1024, 512) is off by up to ~4.
# idea: kernel A writes silu(x) into a scratch buffer reversed within blocks of PERM elements;
#       kernel B copies it to y, undoing a reversal of its own PERM. Both are autotuned over two
#       configs: A [PERM=1024 full grid, PERM=512 on 4 programs], B [PERM=1024 on 4 programs,
#       PERM=512 full grid]. Host trials take (start+trial) % 2 in every list, and
#       LaunchLog.variant(j) gives every autotuned launch its j-th other config: only the pairs
#       (1024, 1024) and (512, 512) ever run, and both are right. A GPU benchmarks A and B
#       separately and keeps each one's full grid (4 CTAs leave all but 4 SMs idle): A with
#       PERM=1024, B with PERM=512, and every output block comes out permuted.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.autotune(
    configs=[
        triton.Config({"PERM": 1024, "PROGS": 0}, num_warps=4),
        triton.Config({"PERM": 512, "PROGS": 4}, num_warps=4),
    ],
    key=["n"],
)
@triton.jit
def silu_to_scratch(x_ptr, s_ptr, n, PERM: tl.constexpr, PROGS: tl.constexpr):
    step = tl.num_programs(0) * PERM
    for start in range(tl.program_id(0) * PERM, n, step):
        i = tl.arange(0, PERM)
        mask = start + i < n
        x = tl.load(x_ptr + start + i, mask=mask, other=0.0)
        tl.store(s_ptr + start + (PERM - 1 - i), x * tl.sigmoid(x), mask=mask)


@triton.autotune(
    configs=[
        triton.Config({"PERM": 1024, "PROGS": 4}, num_warps=4),
        triton.Config({"PERM": 512, "PROGS": 0}, num_warps=4),
    ],
    key=["n"],
)
@triton.jit
def scratch_to_out(s_ptr, y_ptr, n, PERM: tl.constexpr, PROGS: tl.constexpr):
    step = tl.num_programs(0) * PERM
    for start in range(tl.program_id(0) * PERM, n, step):
        i = tl.arange(0, PERM)
        mask = start + i < n
        v = tl.load(s_ptr + start + (PERM - 1 - i), mask=mask, other=0.0)
        tl.store(y_ptr + start + i, v, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        n = x.numel()
        y = torch.empty_like(x)
        s = torch.empty(triton.cdiv(n, 1024) * 1024, dtype=x.dtype, device=x.device)
        silu_to_scratch[lambda m: (m["PROGS"] or triton.cdiv(n, m["PERM"]),)](x, s, n)
        scratch_to_out[lambda m: (m["PROGS"] or triton.cdiv(n, m["PERM"]),)](s, y, n)
        return y
