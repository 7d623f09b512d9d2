import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "fault_scale_shift",
    "level": 1,
    "tags": ["elementwise", "test"],
    "dtype": "float32",
    "description": "y = 2 * x + 1: the problem every sandbox fault candidate pretends to solve.",
    "shapes": {"small": {"n": 1024}},
}

n = 1048576


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return 2.0 * x + 1.0


def get_inputs():
    return [torch.randn(n)]


def get_init_inputs():
    return []
