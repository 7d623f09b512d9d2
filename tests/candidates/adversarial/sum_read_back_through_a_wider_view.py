# problem: softmax
# expect: incorrect
# names: a data race between the threads of program
# class: 7 (a kernel body that is not Triton: interpreter vs compiled)
# Closed: a scalar store and a scalar load in one program are paired by the bytes they span, not by
# where each starts (lane_races._read_back). Correct on bb62136 (session 26, twelfth round, an
# informed attacker's).
# The attacker's notes:
# class: lane race (scalar store by thread 0, scalar load by every thread), interpreter pairing
# idea: the row sum is stored as float32 into the high half of an 8-byte slot and read back by
#       every thread as one int64 starting 4 bytes earlier: the two scalar accesses overlap but
#       start at different byte addresses, so lane_races' address-equality pairing never pairs them.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _softmax_kernel(x_ptr, y_ptr, stats_ptr, n_cols, x_row_stride, y_row_stride,
                    BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    e = tl.exp(x - tl.max(x, axis=0))
    f32 = stats_ptr.to(tl.pointer_type(tl.float32))
    tl.store(f32 + 2 * row + 1, tl.sum(e, axis=0))
    v = tl.load(stats_ptr + row)
    s = (v >> 32).to(tl.int32).to(tl.float32, bitcast=True)
    tl.store(y_ptr + row * y_row_stride + cols, (e / s).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().reshape(-1, x.shape[-1])
        y = torch.empty_like(x2)
        n_rows, n_cols = x2.shape
        stats = torch.zeros(n_rows, dtype=torch.int64, device=x.device)
        block = triton.next_power_of_2(n_cols)
        _softmax_kernel[(n_rows,)](
            x2, y, stats, n_cols, x2.stride(0), y.stride(0), BLOCK=block, num_warps=4
        )
        return y.view(x.shape)
