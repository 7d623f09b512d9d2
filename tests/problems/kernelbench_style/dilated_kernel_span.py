"""A dilated kernel that spans 65 samples: the signal may not shrink below that."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, channels, kernel_size, dilation):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)

    def forward(self, x):
        return self.conv(x)


batch_size = 64
channels = 12
length = 4096
kernel_size = 9
dilation = 8


def get_inputs():
    return [torch.rand(batch_size, channels, length)]


def get_init_inputs():
    return [channels, kernel_size, dilation]
