import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "matmul_square",
    "level": 1,
    "tags": ["matmul"],
    "dtype": "float16",
    "description": "Product of two square N x N matrices, C = A @ B.",
    "shapes": {
        "small": {"N": 100},
        "bench": {"N": 4096},
    },
    "bytes": "3 * N * N * 2",
    "flops": "2 * N * N * N",
}

N = 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, A, B):
        return torch.matmul(A, B)


def get_inputs():
    A = torch.randn(N, N, dtype=torch.float16)
    B = torch.randn(N, N, dtype=torch.float16)
    return [A, B]


def get_init_inputs():
    return []
