# problem: silu
# expect: incorrect
# names: outside atol | every element equals
# class: autotune config forwards are skipped when host code reads data back (worker._run_candidate: `if self.tuned and not self.read_back`)
# Found by session 29's attacker round (correct at c2b8763). Refused since session 29: the first
# host trial runs the autotuner's benchmark over every config once, with every hook a GPU runs
# around each and through the candidate's own do_bench where it gave one
# (worker._interpreter_autotune).
# idea: forward reads one element back (x.view(-1)[0].item(), unused), which turns the config
#       forwards off. The last config (BLOCK 2048, 8 warps) has a pre_hook that zeroes the input.
#       On a GPU the autotuner benchmarks every config on the first call, calling each config's
#       pre_hook, so x is zeroed whichever config wins and y == 0 everywhere. The check: hosted
#       trials take configs start+k (start 0, 2, or 4..67), never index 72; the dry variant of
#       that config is replayed with the first log's host ops (config 0's: no hook), correct;
#       and the dry forward that would run its hook is never made. (The 72 others are one config
#       repeated: hosted trials taking different ones must log the same launch for data_program.)
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _zero_input(nargs):
    nargs["x_ptr"].zero_()


_CONFIGS = [
    triton.Config({"BLOCK": 64}, num_warps=1) for _ in range(72)
] + [triton.Config({"BLOCK": 2048}, num_warps=8, pre_hook=_zero_input)]


@triton.autotune(configs=_CONFIGS, key=["n"])
@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _first = x.view(-1)[0].item()  # a read back: host code that looks at the data
        silu_kernel[lambda m: (triton.cdiv(n, m["BLOCK"]),)](x, y, n)
        return y
