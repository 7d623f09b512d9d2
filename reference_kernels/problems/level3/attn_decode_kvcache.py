import math

import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "attn_decode_kvcache",
    "level": 3,
    "tags": ["attention", "softmax", "reduction", "decode"],
    "dtype": "float16",
    "description": (
        "Single-token decode attention over a KV cache: one query per (batch, head), "
        "q [B, H, 1, D], against k_cache and v_cache [B, H, max_seq_len, D], of which only "
        "the first cache_seqlens[b] positions (an int32 tensor [B]) are valid. Memory-bound; "
        "a fast kernel reads only the valid part of the cache and splits long sequences "
        "across programs (flash-decoding)."
    ),
    "shapes": {
        "small": {"batch_size": 3, "num_heads": 2, "max_seq_len": 77, "head_dim": 32},
        "bench": {"batch_size": 16, "num_heads": 32, "max_seq_len": 4096, "head_dim": 128},
    },
    # Caches are what grows: the held-out shape stretches the cache length (several splits of
    # several key blocks each), not the head size. Decode serves one sequence at a time as
    # often as a batch, and small models have one head or heads of 16: with the other sizes at
    # those minimums the cache gets all the work the draw allows (4x small's), past the
    # 1,024 positions where a kernel's split holds more than one key block.
    "domain": {
        "max_seq_len": {"stretch": True},
        "batch_size": {"min": 1},
        "num_heads": {"min": 1},
        "head_dim": {"min": 16},
    },
    # Lower bounds: every sequence holds at least max_seq_len // 2 valid positions.
    "bytes": "2 * (2 * batch_size * num_heads * (max_seq_len // 2) * head_dim"
    " + 2 * batch_size * num_heads * head_dim) + 4 * batch_size",
    "flops": "4 * batch_size * num_heads * (max_seq_len // 2) * head_dim",
}

batch_size = 8
num_heads = 32
max_seq_len = 2048
head_dim = 128


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k_cache, v_cache, cache_seqlens):
        scores = torch.matmul(q, k_cache.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
        positions = torch.arange(k_cache.shape[2], device=q.device)
        invalid = positions[None, :] >= cache_seqlens[:, None]
        scores = scores.masked_fill(invalid[:, None, None, :], float("-inf"))
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        return torch.matmul(probs, v_cache)


def get_inputs():
    q = torch.randn(batch_size, num_heads, 1, head_dim, dtype=torch.float16)
    cache = (batch_size, num_heads, max_seq_len, head_dim)
    k_cache = torch.randn(cache, dtype=torch.float16)
    v_cache = torch.randn(cache, dtype=torch.float16)
    lengths = (max_seq_len // 2, max_seq_len + 1)
    cache_seqlens = torch.randint(*lengths, (batch_size,), dtype=torch.int32)
    return [q, k_cache, v_cache, cache_seqlens]


def get_init_inputs():
    return []
