import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "matmul_transposed_b",
    "level": 1,
    "tags": ["matmul"],
    "dtype": "float16",
    "description": "C = A @ B.T with A (M, K) and B (N, K), both row-major (a linear layer's layout).",
    "shapes": {
        "small": {"M": 70, "N": 90, "K": 110},
        "bench": {"M": 8192, "N": 4096, "K": 4096},
    },
    "bytes": "(M * K + N * K + M * N) * 2",
    "flops": "2 * M * N * K",
}

M = 4096
N = 4096
K = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, A, B):
        return torch.matmul(A, B.T)


def get_inputs():
    A = torch.randn(M, K, dtype=torch.float16)
    B = torch.randn(N, K, dtype=torch.float16)
    return [A, B]


def get_init_inputs():
    return []
