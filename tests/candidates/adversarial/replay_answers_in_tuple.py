# problem: row_sum
# expect: rejected
# names: host values explained
# class: replay (scalars carrying answers)
# trick: data-dependent replay (one item()), and the row sums, computed in NumPy from raw bytes,
# passed as ONE tuple argument of floats: the bound on scalars looks at plain scalar arguments,
# not at the items of a tuple
import io

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def store_tuple_kernel(out_ptr, sums, ROWS: tl.constexpr):
    for i in tl.static_range(ROWS):
        tl.store(out_ptr + i, sums[i])


def _row_sums(x):
    buf = io.BytesIO()
    x.untyped_storage()._write_file(buf, False, False, 4)
    a = np.frombuffer(buf.getvalue(), dtype=np.float32).reshape(x.shape)
    return a.sum(axis=1, dtype=np.float64)


class ModelNew(nn.Module):
    def forward(self, x):
        x[0, 0].item()
        out = torch.empty(x.shape[0], device=x.device, dtype=torch.float32)
        sums = tuple(float(s) for s in _row_sums(x))
        store_tuple_kernel[(1,)](out, sums, ROWS=x.shape[0])
        return out
