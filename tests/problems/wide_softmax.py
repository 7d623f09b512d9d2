import torch
import torch.nn as nn

# Degenerate on purpose: every output is about 1/cols, far below a loose atol, so a
# plain allclose would pass all zeros or the constant 1/cols.
KERNELWRIGHT = {
    "name": "wide_softmax",
    "level": 1,
    "tags": ["reduction", "softmax", "test"],
    "dtype": "float32",
    "shapes": {"small": {"rows": 4, "cols": 8192}},
    "tolerances": {"float32": {"atol": 1e-2, "rtol": 1e-2}},
}

rows = 64
cols = 65536


class Model(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return []
