import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "softmax",
    "level": 1,
    "tags": ["reduction", "softmax"],
    "dtype": "float16",
    "description": "Row-wise softmax over the last dimension.",
    "shapes": {
        "small": {"batch_size": 9, "dim": 1500},
        "bench": {"batch_size": 8192, "dim": 8192},
    },
    # A decode step runs on a single row.
    "domain": {"batch_size": {"min": 1}},
    "bytes": "2 * batch_size * dim * 2",
    "flops": "5 * batch_size * dim",
}

batch_size = 4096
dim = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float16)]


def get_init_inputs():
    return []
