"""Constants computed from others (bias_shape, num_channels) and floats that are not sizes."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, num_channels, bias_shape, eps, scale):
        super().__init__()
        self.norm = nn.GroupNorm(4, num_channels, eps=eps)
        self.bias = nn.Parameter(torch.randn(bias_shape))
        self.scale = scale

    def forward(self, x):
        return self.norm(x) * self.scale + self.bias


batch_size = 64
channels = 128
num_channels = channels
spatial = 32
bias_shape = (channels, 1, 1)
eps = 1e-5
scale = 0.5


def get_inputs():
    return [torch.rand(batch_size, num_channels, spatial, spatial)]


def get_init_inputs():
    return [num_channels, bias_shape, eps, scale]
