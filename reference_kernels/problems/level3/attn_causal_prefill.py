import math

import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "attn_causal_prefill",
    "level": 3,
    "tags": ["attention", "matmul", "softmax", "fusion"],
    "dtype": "float16",
    "description": (
        "Causal self-attention over a whole prompt (prefill): softmax(Q K^T / sqrt(D) + causal "
        "mask) V for Q, K, V of shape [batch, heads, seq, head_dim]. The reference builds the "
        "full score matrix; a flash-attention kernel streams K and V with an online softmax "
        "and skips the tiles above the diagonal."
    ),
    "shapes": {
        "small": {"batch_size": 2, "num_heads": 2, "seq_len": 70, "head_dim": 32},
        "bench": {"batch_size": 4, "num_heads": 32, "seq_len": 2048, "head_dim": 128},
    },
    # Prompts are what grows: the held-out shape stretches the sequence (past the first query
    # block, so the key tiles left of the diagonal run), not the head size. One prompt at a time
    # is the common prefill: with batch 1 the sequence gets the work the draw allows (4x
    # small's), past two query blocks of 128.
    "domain": {"seq_len": {"stretch": True}, "batch_size": {"min": 1, "pow2": False}},
    "bytes": "2 * 4 * batch_size * num_heads * seq_len * head_dim",
    "flops": "2 * batch_size * num_heads * seq_len * seq_len * head_dim",
}

batch_size = 2
num_heads = 16
seq_len = 1024
head_dim = 64


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v):
        seq, dim = q.shape[-2], q.shape[-1]
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(dim))
        future = torch.ones(seq, seq, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        return torch.matmul(probs, v)


def get_inputs():
    shape = (batch_size, num_heads, seq_len, head_dim)
    return [torch.randn(shape, dtype=torch.float16) for _ in range(3)]


def get_init_inputs():
    return []
