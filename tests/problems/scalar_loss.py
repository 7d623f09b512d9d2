import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "scalar_loss",
    "level": 1,
    "tags": ["reduction", "loss", "test"],
    "dtype": "float32",
    "shapes": {"small": {"rows": 30, "cols": 500}},
}

rows = 256
cols = 4096


class Model(nn.Module):
    """Mean squared error: a 0-d output, every input element summed into it."""

    def forward(self, x, y):
        return ((x - y) ** 2).mean()


def get_inputs():
    return [torch.randn(rows, cols), torch.randn(rows, cols)]


def get_init_inputs():
    return []
