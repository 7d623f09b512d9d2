import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "tall_rows",
    "level": 1,
    "tags": ["reduction", "test"],
    "dtype": "float32",
    "description": "Row sums of a tall, narrow matrix: many rows, a few columns each.",
    # small has over 1,000 rows: a kernel launched once per row makes thousands of views.
    "shapes": {"small": {"rows": 1100, "cols": 16}, "rows600": {"rows": 600, "cols": 16}},
}

rows = 8192
cols = 64


class Model(nn.Module):
    def forward(self, x):
        return x.sum(dim=1)


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return []
