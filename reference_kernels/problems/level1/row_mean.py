import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "row_mean",
    "level": 1,
    "tags": ["reduction"],
    "dtype": "float32",
    "description": "Mean of each row (reduction over the last dimension).",
    "shapes": {
        "small": {"batch_size": 7, "dim": 2000},
        "bench": {"batch_size": 16384, "dim": 8192},
    },
    "bytes": "batch_size * dim * 4 + batch_size * 4",
    "flops": "batch_size * dim",
}

batch_size = 4096
dim = 8192


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.mean(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float32)]


def get_init_inputs():
    return []
