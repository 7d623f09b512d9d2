import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "bf16_axpb",
    "level": 1,
    "tags": ["elementwise", "test"],
    "dtype": "bfloat16",
    "shapes": {"small": {"n": 1000}},
}

n = 1 << 20


class Model(nn.Module):
    def forward(self, x):
        return x * 2.0 + 1.0


def get_inputs():
    return [torch.randn(n, dtype=torch.bfloat16)]


def get_init_inputs():
    return []
