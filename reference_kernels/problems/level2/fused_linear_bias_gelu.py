import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "fused_linear_bias_gelu",
    "level": 2,
    "tags": ["matmul", "fusion", "activation"],
    "dtype": "float16",
    "description": (
        "A linear layer with bias followed by the exact (erf) GELU: gelu(x @ W.T + b). "
        "Fusing the bias and activation into the matmul epilogue saves a round trip of the "
        "output through memory."
    ),
    "shapes": {
        # small spans several 64- and 128-wide tiles in every dimension, ragged: a kernel's
        # tile indexing and K loop run on the CPU too, not one tile that hides them.
        "small": {"batch_size": 150, "in_features": 100, "out_features": 140},
        "bench": {"batch_size": 8192, "in_features": 4096, "out_features": 4096},
    },
    "bytes": "2 * (batch_size * in_features + in_features * out_features + out_features"
    " + batch_size * out_features)",
    "flops": "2 * batch_size * in_features * out_features",
}

batch_size = 1024
in_features = 1024
out_features = 1024


class Model(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return torch.nn.functional.gelu(self.linear(x))


def get_inputs():
    return [torch.randn(batch_size, in_features, dtype=torch.float16)]


def get_init_inputs():
    return [in_features, out_features]
