import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "row_min",
    "level": 1,
    "tags": ["reduction", "test"],
    "dtype": "float32",
    "description": "Row-wise minimum over the last dimension.",
    "shapes": {"small": {"batch_size": 6, "dim": 1500}, "bench": {"batch_size": 4096, "dim": 4096}},
}

batch_size = 1024
dim = 1024


class Model(nn.Module):
    def forward(self, x):
        return torch.amin(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
