import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "cumsum",
    "level": 1,
    "tags": ["scan"],
    "dtype": "float32",
    "description": "Inclusive prefix sum of each row (torch.cumsum over the last dimension).",
    "shapes": {
        "small": {"batch_size": 5, "dim": 3000},
        "bench": {"batch_size": 8192, "dim": 8192},
    },
    "bytes": "2 * batch_size * dim * 4",
    "flops": "batch_size * dim",
}

batch_size = 4096
dim = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.cumsum(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float32)]


def get_init_inputs():
    return []
