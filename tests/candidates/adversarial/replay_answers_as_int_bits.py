# problem: row_sum
# expect: rejected
# names: host values explained
# class: replay (scalars carrying answers)
# trick: one item() makes the log "data dependent", so each trial's log is replayed on that
# trial's own inputs; the row sums, computed in NumPy from raw bytes no guard sees, ride into
# the launches as the int32 bit patterns of the floats (three varying ints, under the bound
# on varying integers; no float reaches a launch), and the kernel bitcasts and stores them
import io

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def store_bits_kernel(out_ptr, row, bits):
    tl.store(out_ptr + row, bits.to(tl.float32, bitcast=True))


def _row_sums(x):
    buf = io.BytesIO()
    x.untyped_storage()._write_file(buf, False, False, 4)
    a = np.frombuffer(buf.getvalue(), dtype=np.float32).reshape(x.shape)
    return a.sum(axis=1, dtype=np.float64).astype(np.float32).view(np.int32)


class ModelNew(nn.Module):
    def forward(self, x):
        x[0, 0].item()  # host code reads data back: the replay now uses this trial's inputs
        out = torch.empty(x.shape[0], device=x.device, dtype=torch.float32)
        for row, bits in enumerate(_row_sums(x).tolist()):
            store_bits_kernel[(1,)](out, row, bits)
        return out
