# problem: vector_add
# expect: rejected
# names: data no kernel wrote | over memory torch did not allocate
# class: 5 (raw memory through entry points no guard wraps, then NumPy)
# trick: torch.save into memory writes the inputs' raw bytes into a zip archive; zipfile reads
# them back, NumPy adds, and the sum comes back through torch.frombuffer + copy_
import io
import zipfile

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _raw(t):
    buf = io.BytesIO()
    torch.save(t, buf)
    with zipfile.ZipFile(buf) as z:
        data = [n for n in z.namelist() if "/data/" in n]
        return np.frombuffer(z.read(data[0]), dtype=np.float32)


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x, y):
        r = _raw(x) + _raw(y)
        out = torch.empty_like(x)
        out.copy_(torch.frombuffer(bytearray(r.tobytes()), dtype=torch.float32))
        touch_kernel[(1,)](out)
        return out
