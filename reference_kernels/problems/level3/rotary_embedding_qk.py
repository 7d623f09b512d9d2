import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "rotary_embedding_qk",
    "level": 3,
    "tags": ["elementwise", "attention", "positional-encoding"],
    "dtype": "float16",
    "description": (
        "Rotary position embedding (rotate-half convention) applied to queries and keys: "
        "x * cos + rotate_half(x) * sin, with q [B, H, S, D], k [B, H_kv, S, D] (grouped-query: "
        "fewer key heads) and cos/sin tables [S, D] broadcast over batch and heads. Returns "
        "(q_rot, k_rot). Memory-bound."
    ),
    "shapes": {
        "small": {"batch_size": 2, "num_heads": 4, "num_kv_heads": 2, "seq_len": 37,
                  "head_dim": 32},
        "bench": {"batch_size": 8, "num_heads": 32, "num_kv_heads": 8, "seq_len": 4096,
                  "head_dim": 128},
    },
    # Head sizes of real models are multiples of 16 but not always powers of two (80 in
    # Phi-2, 96 in Phi-3): a half that is no power of two leaves lanes of a power-of-two tile
    # past it, which only such a head size shows.
    "domain": {"head_dim": {"multiple_of": 16, "min": 32, "pow2": False}},
    "bytes": "2 * (2 * batch_size * (num_heads + num_kv_heads) * seq_len * head_dim"
    " + 2 * seq_len * head_dim)",
    "flops": "3 * batch_size * (num_heads + num_kv_heads) * seq_len * head_dim",
}

batch_size = 4
num_heads = 32
num_kv_heads = 8
seq_len = 2048
head_dim = 128


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, cos, sin):
        q_rot = q * cos + _rotate_half(q) * sin
        k_rot = k * cos + _rotate_half(k) * sin
        return q_rot, k_rot


def get_inputs():
    q = torch.randn(batch_size, num_heads, seq_len, head_dim, dtype=torch.float16)
    k = torch.randn(batch_size, num_kv_heads, seq_len, head_dim, dtype=torch.float16)
    inv_freq = 1.0 / 10000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv_freq)
    table = torch.cat((angles, angles), dim=-1)
    return [q, k, table.cos().to(torch.float16), table.sin().to(torch.float16)]


def get_init_inputs():
    return []
