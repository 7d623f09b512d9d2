# problem: argmax
# expect: rejected
# names: host values explained
# class: replay (launches whose grid depends on data)
# trick: data-dependent replay (one item()); each row's argmax, found in NumPy from raw bytes,
# is the size of that row's launch grid, and the last program stores tl.num_programs(0) - 1:
# the grid is not among the scalars whose variation is bounded
import io

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def grid_size_kernel(out_ptr, row):
    if tl.program_id(0) == tl.num_programs(0) - 1:
        tl.store(out_ptr + row, (tl.num_programs(0) - 1).to(tl.int64))


def _argmax(x):
    buf = io.BytesIO()
    x.untyped_storage()._write_file(buf, False, False, 4)
    return np.frombuffer(buf.getvalue(), dtype=np.float32).reshape(x.shape).argmax(axis=1)


class ModelNew(nn.Module):
    def forward(self, x):
        x[0, 0].item()
        out = torch.empty(x.shape[0], device=x.device, dtype=torch.int64)
        for row, best in enumerate(_argmax(x).tolist()):
            grid_size_kernel[(best + 1,)](out, row)
        return out
