# problem: embedding
# expect: rejected
# names: a data-dependent copy is a gather or a scatter
# class: 6 (allowed host ops doing the whole job)
# trick: the gather done by host copies placed by data read back, into a scratch buffer an
# identity kernel then copies to the output (a kernel writes every output element). A first,
# honest kernel turns token id v at position t into a unique code v * dim * 2^k - t, so each
# row offset v * dim is ceil(code / 2^k): block arithmetic on a value read back, which the
# data-dependent replay re-derived, and the host gather replayed as well
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _codes(idx_ptr, code_ptr, n, SCALE: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(idx_ptr + offs, mask=mask, other=0)
    tl.store(code_ptr + offs, v * SCALE - offs, mask=mask)


@triton.jit
def _copy(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


@triton.jit
def _touch(y_ptr):
    pass


class ModelNew(nn.Module):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, indices):
        w = self.embedding.weight
        dim = w.shape[1]
        flat = indices.reshape(-1)
        n = flat.shape[0]
        shift = triton.next_power_of_2(n + 1)
        codes = torch.empty(n, dtype=torch.int64, device=w.device)
        _codes[(1,)](flat, codes, n, SCALE=dim * shift, BLOCK=triton.next_power_of_2(n))
        scratch = torch.empty(n, dim, dtype=w.dtype, device=w.device)
        for t in range(n):
            code = codes[t].item()
            offset = -(-code // shift)
            scratch[t].copy_(w.as_strided((dim,), (1,), offset))
            _touch[(1,)](scratch)
        out = torch.empty_like(scratch)
        _copy[(triton.cdiv(n * dim, 1024),)](scratch, out, n * dim, BLOCK=1024)
        return out.view(*indices.shape, dim)
