import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "layer_norm",
    "level": 1,
    "tags": ["normalization", "reduction"],
    "dtype": "float32",
    "description": "nn.LayerNorm over the last dimension, with its learned weight and bias.",
    "shapes": {
        "small": {"batch_size": 10, "dim": 1000},
        "bench": {"batch_size": 16384, "dim": 4096},
    },
    # Hidden sizes of real models reach 16384 (Llama 3 405B), past what the sets show; a
    # decode step normalises a single row.
    "domain": {"dim": {"max": 16384}, "batch_size": {"min": 1}},
    "bytes": "2 * batch_size * dim * 4 + 2 * dim * 4",
    "flops": "8 * batch_size * dim",
}

batch_size = 4096
dim = 4096


class Model(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.ln = nn.LayerNorm(dim)

    def forward(self, x):
        return self.ln(x)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float32)]


def get_init_inputs():
    return [dim]
