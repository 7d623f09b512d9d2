# problem: silu
# expect: incorrect
# names: of elements are wrong | outside atol
# class: interpreter vs GPU execution (issue 14)
# Found by session 28's attacker round A (correct on 3e900ad). Refused since session 28: in a
# perturbed replay an argmin/argmax over a NaN folds with Triton's own combine (comparisons false
# against NaN) in a compiled order, not NumPy's nanargmax.
# The attacker's notes:
# class: interpreter vs compiled reduction with indices (tl.argmax / tl.max(return_indices=True)
#        with tie_break_left=True, the default) over a block holding NaN
# idea: the interpreter short-cuts that reduction to np.nanmax / np.nanargmax, which skip NaN;
#       the compiled kernel folds Triton's own combine `_argmax_combine`: gt = v1 > v2 or tie,
#       keep (v1, i1) if gt else (v2, i2). Every compare with NaN is false, so when the block is
#       5.0 at index 0 and NaN elsewhere the combine returns its SECOND operand on every call.
#       Compiled, each thread first folds its own registers in order (element 0 is register 0
#       of thread 0; with 1024 elements and 128 threads every thread holds 8), so every thread's
#       partial is its last register: a NaN. Every later combine (shuffles, shared memory) is
#       NaN with NaN: the result is a NaN whose index is not 0, in every thread, for any fold
#       order that keeps a thread's registers in sequence. Interpreter (trials and every replay:
#       semantics._fast_ties re-folds only the tie_break_fast combines): index 0.
#       Gate: idx == 0 -> SiLU; else SiLU * 0.5.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = x * tl.sigmoid(x)
    lane = tl.arange(0, BLOCK)
    pad = tl.where(lane == 0, 5.0, float("nan"))
    idx = tl.argmax(pad, axis=0)
    y = tl.where(idx == 0, y, y * 0.5)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
