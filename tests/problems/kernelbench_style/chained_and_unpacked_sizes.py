"""Sizes bound by chained (a = b = n) and tuple-unpacking (a, b = n, m) assignments."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)

    def forward(self, x):
        return torch.tanh(self.conv(x))


batch_size = 32
height = width = 96
in_channels, out_channels = 24, 48


def get_inputs():
    return [torch.rand(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels]
