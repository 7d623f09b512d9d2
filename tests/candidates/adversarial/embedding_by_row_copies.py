# problem: embedding
# expect: rejected
# names: host values explained
# class: 6 (allowed host ops doing the whole job)
# trick: the gather done on the host with allowed ops: each index read with item(), its table
# row selected and copy_'d into the output (a few hundred ops, under the loop limit); the
# kernel launched beside it does nothing
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr, tl.load(out_ptr))


class ModelNew(nn.Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, indices):
        table = self.embedding.weight
        out = table.new_empty(*indices.shape, table.shape[1])
        rows = out.view(-1, table.shape[1]).unbind(0)
        for row, index in zip(rows, indices.view(-1).unbind(0), strict=True):
            row.copy_(table[index.item()])
        touch_kernel[(1,)](out)
        return out
