import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "fused_matmul_softmax",
    "level": 2,
    "tags": ["matmul", "fusion", "softmax", "reduction"],
    "dtype": "float16",
    "description": (
        "A matrix product followed by a row softmax: softmax(A @ B, dim=-1), A [M, K], "
        "B [K, N], with a short inner dimension (as for attention scores). The unfused version "
        "writes the [M, N] logits and reads them back; a fused kernel recomputes the cheap "
        "product instead and writes only the probabilities."
    ),
    "shapes": {
        "small": {"M": 45, "K": 40, "N": 300},
        "bench": {"M": 8192, "K": 128, "N": 8192},
    },
    # The inner dimension is a head size: up to 256 (Gemma), past the 128 a kernel holds in
    # registers, so the held-out shape stretches K rather than N. The softmax may be narrow:
    # a router's over 8 experts, attention over a few keys (N below one column tile).
    "domain": {"K": {"stretch": True}, "N": {"min": 8}},
    "bytes": "2 * (M * K + K * N + M * N)",
    "flops": "2 * M * N * K + 4 * M * N",
    # The probabilities are about 1/N each: the default atol (1e-2) would accept anything.
    "tolerances": {"float16": {"atol": 1e-5, "rtol": 1e-2}},
}

M = 4096
K = 128
N = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.softmax(torch.matmul(a, b), dim=-1)


def get_inputs():
    # Scaled so the logits have unit variance and the softmax is neither flat nor one-hot.
    a = torch.randn(M, K, dtype=torch.float16)
    b = torch.randn(K, N, dtype=torch.float16) / K**0.5
    return [a, b]


def get_init_inputs():
    return []
