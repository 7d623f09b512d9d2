# problem: silu
# expect: incorrect
# names: every call must compute from its own inputs
# class: state unchanged (session 28: the replay reports which of Model's state forward wrote)
# Found by session 28's attacker round C (correct at 7576eda). Forward counts its calls in a
# plain attribute and from the third call on returns the first output it kept, launching
# nothing; each shape set's process calls forward twice on the CPU. Refused since session 29:
# forward also runs DRY_CALLS (8) times in a row, dry (launches logged, none run), as the first
# calls of a copy of the process forked before any forward, and each later call that logs
# otherwise is replayed too (worker._dry_forwards, LaunchLog.later): its output, a buffer no
# kernel of that call wrote, is poisoned there. Memoising from a later call than the eighth is open
# (memo_past_the_dry_calls); a GPU's timed calls check every call.
# The attacker's notes:
# class: (5) drift through something that is not state: a plain attribute
# idea: ModelNew counts its forwards in a plain int attribute (not a parameter or buffer, so not
#       in any state_dict the state check compares) and keeps its last output in another plain
#       attribute. From the third forward on, for an input of a shape it has seen, it returns
#       the kept output without launching anything. A CPU check's job runs forward twice per
#       shape set (HOST_TRIALS; more only where host code reads data back), and the replay
#       runs the first trial's log; every later forward on a GPU (a benchmark's loop, a model's
#       next batch) returns the first batch's answer.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0
        self.kept = {}

    def forward(self, x):
        self.calls += 1
        key = tuple(x.shape)
        if self.calls > 2 and key in self.kept:
            return self.kept[key]
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        self.kept[key] = y
        return y
