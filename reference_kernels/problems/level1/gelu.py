import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "gelu",
    "level": 1,
    "tags": ["elementwise", "activation"],
    "dtype": "float16",
    "description": "Exact GELU (the erf form, approximate='none') applied elementwise.",
    "shapes": {
        "small": {"batch_size": 13, "dim": 1000},
        "bench": {"batch_size": 8192, "dim": 16384},
    },
    "bytes": "2 * batch_size * dim * 2",
    "flops": "8 * batch_size * dim",
}

batch_size = 4096
dim = 16384


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.gelu(x)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float16)]


def get_init_inputs():
    return []
