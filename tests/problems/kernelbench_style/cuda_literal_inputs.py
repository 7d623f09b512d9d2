"""Inputs made for a GPU: get_inputs names device='cuda' and calls .cuda()."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v)


batch_size = 16
heads = 4
seq_len = 256
head_dim = 64


def get_inputs():
    q = torch.rand(batch_size, heads, seq_len, head_dim, device="cuda")
    k = torch.rand(batch_size, heads, seq_len, head_dim, device="cuda")
    v = torch.rand(batch_size, heads, seq_len, head_dim).cuda()
    return [q, k, v]


def get_init_inputs():
    return []
