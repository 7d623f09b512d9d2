import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "silu",
    "level": 1,
    "tags": ["elementwise", "activation"],
    "dtype": "float32",
    "description": "SiLU (x * sigmoid(x)) applied elementwise.",
    "shapes": {
        "small": {"batch_size": 11, "dim": 1400},
        "bench": {"batch_size": 8192, "dim": 16384},
    },
    "bytes": "2 * batch_size * dim * 4",
    "flops": "4 * batch_size * dim",
}

batch_size = 4096
dim = 16384


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.silu(x)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float32)]


def get_init_inputs():
    return []
