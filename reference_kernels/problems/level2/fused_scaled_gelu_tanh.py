import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "fused_scaled_gelu_tanh",
    "level": 2,
    "tags": ["elementwise", "fusion", "activation"],
    "dtype": "float16",
    "description": (
        "The tanh approximation of GELU, 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))), "
        "multiplied by a constant scale. Memory-bound: one read and one write per element."
    ),
    "shapes": {
        "small": {"batch_size": 37, "dim": 300},
        "bench": {"batch_size": 16384, "dim": 8192},
    },
    "bytes": "2 * 2 * batch_size * dim",
    "flops": "12 * batch_size * dim",
}

batch_size = 4096
dim = 4096
scale = 1.702


class Model(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return torch.nn.functional.gelu(x, approximate="tanh") * self.scale


def get_inputs():
    # Wider than unit variance so both saturated tails of tanh are exercised.
    return [3.0 * torch.randn(batch_size, dim, dtype=torch.float16)]


def get_init_inputs():
    return [scale]
