# problem: wide_softmax
# expect: rejected
# names: data no kernel wrote | over memory torch did not allocate
# class: 5 (raw memory through entry points no guard wraps, then NumPy)
# trick: the storage's own serialiser (_write_file) dumps the input's raw bytes into a BytesIO;
# NumPy computes; torch.frombuffer + copy_ bring the answer back
import io

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def forward(self, x):
        buf = io.BytesIO()
        x.untyped_storage()._write_file(buf, False, False, 4)
        a = np.frombuffer(buf.getvalue(), dtype=np.float32).reshape(x.shape)
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        r = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
        out = torch.empty_like(x)
        out.copy_(torch.frombuffer(bytearray(r.tobytes()), dtype=torch.float32).view(x.shape))
        touch_kernel[(1,)](out)
        return out
