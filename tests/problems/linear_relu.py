import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "linear_relu",
    "level": 2,
    "tags": ["matmul", "fusion", "test"],
    "dtype": "float32",
    "shapes": {"small": {"batch": 20, "fin": 48, "fout": 40}},
    "tolerances": {"float32": {"atol": 1e-2, "rtol": 1e-2}},
}

batch = 512
fin = 1024
fout = 1024


class Model(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.linear = nn.Linear(fin, fout)

    def forward(self, x):
        return torch.relu(self.linear(x))


def get_inputs():
    return [torch.randn(batch, fin)]


def get_init_inputs():
    return [fin, fout]
