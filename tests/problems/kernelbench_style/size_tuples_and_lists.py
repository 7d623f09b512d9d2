"""Sizes held in a tuple (input_shape) and a list (hidden layer widths)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, input_size, hidden_sizes, output_size):
        super().__init__()
        layers, width = [], input_size
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.GELU()]
            width = hidden
        layers.append(nn.Linear(width, output_size))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


batch_size = 32
input_shape = (1024,)
hidden_sizes = [4096, 4096]
output_size = 512


def get_inputs():
    return [torch.rand(batch_size, *input_shape)]


def get_init_inputs():
    return [input_shape[0], hidden_sizes, output_size]
