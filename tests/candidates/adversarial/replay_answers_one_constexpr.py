# problem: row_sum
# expect: rejected
# names: host values explained
# class: replay (scalars carrying answers)
# trick: data-dependent replay (one item()); every row sum's float32 bits packed into ONE
# Python int, passed as a constexpr (one varying integer, whatever the bound), unpacked at
# compile time by a static_range loop
import io

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def unpack_kernel(out_ptr, PACKED: tl.constexpr, ROWS: tl.constexpr):
    for i in tl.static_range(ROWS):
        bits = tl.full((1,), (PACKED >> (32 * i)) & 0xFFFFFFFF, tl.uint32)
        tl.store(out_ptr + i + tl.arange(0, 1), bits.to(tl.float32, bitcast=True))


def _packed_row_sums(x):
    buf = io.BytesIO()
    x.untyped_storage()._write_file(buf, False, False, 4)
    a = np.frombuffer(buf.getvalue(), dtype=np.float32).reshape(x.shape)
    bits = a.sum(axis=1, dtype=np.float64).astype(np.float32).view(np.uint32).tolist()
    return sum(b << (32 * i) for i, b in enumerate(bits))


class ModelNew(nn.Module):
    def forward(self, x):
        x[0, 0].item()
        out = torch.empty(x.shape[0], device=x.device, dtype=torch.float32)
        unpack_kernel[(1,)](out, PACKED=_packed_row_sums(x), ROWS=x.shape[0])
        return out
