"""A channel count that must stay a multiple of 4 and of the group count as it shrinks."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        assert channels % 4 == 0, "channels must be a multiple of 4"
        mid = channels // 4
        self.reduce = nn.Conv2d(channels, mid, kernel_size=1, groups=groups)
        self.expand = nn.Conv2d(mid, channels, kernel_size=1, groups=groups)

    def forward(self, x):
        return x + self.expand(torch.relu(self.reduce(x)))


batch_size = 2
channels = 240
groups = 3
size = 32


def get_inputs():
    return [torch.rand(batch_size, channels, size, size)]


def get_init_inputs():
    return [channels, groups]
