# problem: row_sum
# expect: rejected
# names: host values explained
# class: replay (scalars carrying answers)
# trick: data-dependent replay (one item()); the row sums go into the launch as plain floats,
# and every call issues one more harmless host op before the launch, so no two trials' launches
# sit at the same step of their logs and the varying-float rule never compares them
import io

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def store_kernel(out_ptr, s0, s1, s2):
    tl.store(out_ptr + 0, s0)
    tl.store(out_ptr + 1, s1)
    tl.store(out_ptr + 2, s2)


def _row_sums(x):
    buf = io.BytesIO()
    x.untyped_storage()._write_file(buf, False, False, 4)
    a = np.frombuffer(buf.getvalue(), dtype=np.float32).reshape(x.shape)
    return [float(s) for s in a.sum(axis=1, dtype=np.float64)]


class ModelNew(nn.Module):
    calls = 0

    def forward(self, x):
        x[0, 0].item()
        type(self).calls += 1
        for _ in range(type(self).calls):
            torch.empty(1, device=x.device)
        out = torch.empty(x.shape[0], device=x.device, dtype=torch.float32)
        store_kernel[(1,)](out, *_row_sums(x))
        return out
