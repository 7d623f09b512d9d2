import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "log_softmax",
    "level": 1,
    "tags": ["reduction", "softmax"],
    "dtype": "float32",
    "description": "Row-wise log-softmax over the last dimension, on wide rows (vocabulary-sized).",
    "shapes": {
        "small": {"batch_size": 6, "dim": 2500},
        "bench": {"batch_size": 4096, "dim": 32768},
    },
    # A decode step runs on a single row.
    "domain": {"batch_size": {"min": 1}},
    "bytes": "2 * batch_size * dim * 4",
    "flops": "5 * batch_size * dim",
}

batch_size = 1024
dim = 32768


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.log_softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float32)]


def get_init_inputs():
    return []
