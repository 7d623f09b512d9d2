import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "row_max",
    "level": 1,
    "tags": ["reduction"],
    "dtype": "float16",
    "description": "Maximum of each row (torch.amax over the last dimension).",
    "shapes": {
        "small": {"batch_size": 2, "dim": 7000},
        "bench": {"batch_size": 8192, "dim": 8192},
    },
    "bytes": "batch_size * dim * 2 + batch_size * 2",
    "flops": "batch_size * dim",
}

batch_size = 4096
dim = 8192


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.amax(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float16)]


def get_init_inputs():
    return []
