"""Two constants tied by the model: the normalised width is three times the input width."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.norm = nn.LayerNorm(features)

    def forward(self, x):
        return self.norm(torch.cat([x, x.flip(-1), -x], dim=-1))


batch_size = 64
width = 1024
features = 3072


def get_inputs():
    return [torch.rand(batch_size, width)]


def get_init_inputs():
    return [features]
