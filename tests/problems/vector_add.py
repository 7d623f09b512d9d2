import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "vector_add",
    "level": 1,
    "tags": ["elementwise", "test"],
    "dtype": "float32",
    "shapes": {"small": {"n": 1000}, "bench": {"n": 1 << 24}},
    "bytes": "3 * n * 4",
    "flops": "n",
}

n = 1 << 20


class Model(nn.Module):
    def forward(self, x, y):
        return x + y


def get_inputs():
    return [torch.randn(n), torch.randn(n)]


def get_init_inputs():
    return []
