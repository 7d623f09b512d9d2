import torch
import torch.nn as nn
import triton
import triton.language as tl

# Each program copies one slice of at most this many columns of one table row.
MAX_BLOCK_D = 1024


@triton.jit
def _embedding_kernel(
    idx_ptr, w_ptr, y_ptr, dim, w_row_stride, y_row_stride, BLOCK_D: tl.constexpr
):
    token = tl.program_id(0).to(tl.int64)
    cols = tl.program_id(1) * BLOCK_D + tl.arange(0, BLOCK_D)
    mask = cols < dim
    row = tl.load(idx_ptr + token)
    values = tl.load(w_ptr + row * w_row_stride + cols, mask=mask)
    tl.store(y_ptr + token * y_row_stride + cols, values, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        # Same constructor call as the reference, so the same seed gives the same table.
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, indices):
        weight = self.embedding.weight
        idx = indices.contiguous().reshape(-1)
        n_tokens = idx.numel()
        dim = weight.shape[1]
        y = torch.empty((n_tokens, dim), dtype=weight.dtype, device=weight.device)
        block = min(triton.next_power_of_2(dim), MAX_BLOCK_D)
        grid = (n_tokens, triton.cdiv(dim, block))
        _embedding_kernel[grid](
            idx, weight, y, dim, weight.stride(0), y.stride(0), BLOCK_D=block, num_warps=4
        )
        return y.view(*indices.shape, dim)
