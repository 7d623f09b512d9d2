import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "matmul_batched",
    "level": 1,
    "tags": ["matmul", "batched"],
    "dtype": "float16",
    "description": "Batched matrix product C[b] = A[b] @ B[b], A (batch, m, k), B (batch, k, n).",
    "shapes": {
        # small spans several 64- and 128-wide tiles in every dimension, ragged: a kernel's
        # tile indexing and K loop run on the CPU too, not one tile that hides them.
        "small": {"batch_size": 2, "m": 90, "k": 70, "n": 100},
        "bench": {"batch_size": 128, "m": 512, "k": 1024, "n": 1024},
    },
    "bytes": "batch_size * (m * k + k * n + m * n) * 2",
    "flops": "2 * batch_size * m * n * k",
}

batch_size = 64
m = 512
k = 1024
n = 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, A, B):
        return torch.bmm(A, B)


def get_inputs():
    A = torch.randn(batch_size, m, k, dtype=torch.float16)
    B = torch.randn(batch_size, k, n, dtype=torch.float16)
    return [A, B]


def get_init_inputs():
    return []
