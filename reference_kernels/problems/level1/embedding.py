import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "embedding",
    "level": 1,
    "tags": ["memory", "gather", "embedding"],
    "dtype": "float32",
    "description": "nn.Embedding lookup: rows of a float32 table gathered by int64 token ids.",
    "shapes": {
        "small": {"num_embeddings": 50, "embedding_dim": 200, "batch_size": 3, "seq_len": 17},
        "bench": {"num_embeddings": 32000, "embedding_dim": 4096, "batch_size": 8, "seq_len": 2048},
    },
    "bytes": "batch_size * seq_len * (8 + 2 * embedding_dim * 4)",
    "flops": 0,
}

num_embeddings = 32000
embedding_dim = 1024
batch_size = 8
seq_len = 2048


class Model(nn.Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, indices):
        return self.embedding(indices)


def get_inputs():
    return [torch.randint(0, num_embeddings, (batch_size, seq_len), dtype=torch.int64)]


def get_init_inputs():
    return [num_embeddings, embedding_dim]
