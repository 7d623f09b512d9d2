# problem: moe_topk_routing
# style: data-dependent grid: the bundled MoE solution, its grouped matmuls launched on
# exactly the number of expert blocks the routing kernel counted (read back with item())
import math

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _router_topk_kernel(
    x_ptr,
    wr_ptr,
    topk_ids_ptr,
    topk_p_ptr,
    T,
    K,
    E,
    stride_xt,
    stride_xk,
    stride_we,
    stride_wk,
    TOP_K: tl.constexpr,
    BLOCK_T: tl.constexpr,
    BLOCK_E: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    """Router logits (float32 accumulate), softmax over experts, top-k by repeated max."""
    offs_t = tl.program_id(0) * BLOCK_T + tl.arange(0, BLOCK_T)
    offs_e = tl.arange(0, BLOCK_E)
    offs_k = tl.arange(0, BLOCK_K)
    t_ok = offs_t < T
    e_ok = offs_e < E
    x_ptrs = x_ptr + offs_t[:, None] * stride_xt + offs_k[None, :] * stride_xk
    w_ptrs = wr_ptr + offs_e[None, :] * stride_we + offs_k[:, None] * stride_wk
    logits = tl.zeros((BLOCK_T, BLOCK_E), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_ok = offs_k < K - k * BLOCK_K
        x = tl.load(x_ptrs, mask=t_ok[:, None] & k_ok[None, :], other=0.0)
        w = tl.load(w_ptrs, mask=k_ok[:, None] & e_ok[None, :], other=0.0)
        logits = tl.dot(x, w, logits)
        x_ptrs += BLOCK_K * stride_xk
        w_ptrs += BLOCK_K * stride_wk

    logits = tl.where(e_ok[None, :], logits, float("-inf"))
    p = tl.exp(logits - tl.max(logits, axis=1)[:, None])
    p = p / tl.sum(p, axis=1)[:, None]
    # Chosen and padding experts are knocked out with -1, below any probability.
    p = tl.where(e_ok[None, :], p, -1.0)
    for j in tl.static_range(TOP_K):
        best = tl.max(p, axis=1)
        # Lowest index among equal maxima, as a deterministic tie-break.
        idx = tl.min(tl.where(p == best[:, None], offs_e[None, :], BLOCK_E), axis=1)
        tl.store(topk_ids_ptr + offs_t * TOP_K + j, idx, mask=t_ok)
        tl.store(topk_p_ptr + offs_t * TOP_K + j, best, mask=t_ok)
        p = tl.where(offs_e[None, :] == idx[:, None], -1.0, p)


@triton.jit
def _moe_align_kernel(
    topk_ids_ptr,
    sorted_ids_ptr,
    block_expert_ptr,
    num_blocks_ptr,
    n_assign,
    BLOCK_M: tl.constexpr,
    BLOCK_E: tl.constexpr,
    CHUNK: tl.constexpr,
):
    """Program e lays out expert e's (token, slot) assignments contiguously.

    Each expert's segment is padded to a multiple of BLOCK_M, so every BLOCK_M rows of
    sorted_ids belong to one expert (block_expert) and the grouped matmul needs no per-row
    expert lookup. Padding rows hold n_assign, an id that no assignment has.
    """
    e = tl.program_id(0)
    offs_e = tl.arange(0, BLOCK_E)
    offs_c = tl.arange(0, CHUNK)
    counts = tl.zeros([BLOCK_E], dtype=tl.int32)
    for start in range(0, n_assign, CHUNK):
        a = start + offs_c
        ids = tl.load(topk_ids_ptr + a, mask=a < n_assign, other=-1)
        counts += tl.sum((ids[:, None] == offs_e[None, :]).to(tl.int32), axis=0)
    padded = (counts + BLOCK_M - 1) // BLOCK_M * BLOCK_M
    offset = tl.sum(tl.where(offs_e < e, padded, 0), axis=0)
    count = tl.sum(tl.where(offs_e == e, counts, 0), axis=0)
    my_padded = tl.sum(tl.where(offs_e == e, padded, 0), axis=0)
    if e == 0:
        tl.store(num_blocks_ptr, tl.sum(padded, axis=0) // BLOCK_M)

    pos = offset
    for start in range(0, n_assign, CHUNK):
        a = start + offs_c
        hit = tl.load(topk_ids_ptr + a, mask=a < n_assign, other=-1) == e
        rank = tl.cumsum(hit.to(tl.int32), axis=0) - 1
        tl.store(sorted_ids_ptr + pos + rank, a, mask=hit)
        pos += tl.sum(hit.to(tl.int32), axis=0)
    offs_m = tl.arange(0, BLOCK_M)
    tl.store(sorted_ids_ptr + offset + count + offs_m, n_assign, mask=offs_m < my_padded - count)
    first_block = offset // BLOCK_M
    for b in range(0, my_padded // BLOCK_M, CHUNK):
        blk = b + offs_c
        tl.store(block_expert_ptr + first_block + blk, e, mask=blk < my_padded // BLOCK_M)


@triton.jit
def _moe_grouped_matmul_kernel(
    a_ptr,
    w_ptr,
    out_ptr,
    sorted_ids_ptr,
    block_expert_ptr,
    num_blocks_ptr,
    N,
    K,
    n_assign,
    stride_am,
    stride_ak,
    stride_we,
    stride_wn,
    stride_wk,
    stride_om,
    stride_on,
    TOP_K: tl.constexpr,
    FIRST_LAYER: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
):
    """One BLOCK_M block of one expert's rows times that expert's weight, W in [N, K] layout.

    First layer: rows of x gathered by token, silu applied, written to the sorted rows of h.
    Second layer: sorted rows of h, written to each assignment's own row of the output.
    """
    # Block index fastest: the blocks of one expert share this weight tile through L2.
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    if pid_m >= tl.load(num_blocks_ptr):
        return
    expert = tl.load(block_expert_ptr + pid_m).to(tl.int64)
    rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    assign = tl.load(sorted_ids_ptr + rows)
    valid = assign < n_assign
    # First layer: token rows of x; second: the sorted rows of h.
    a_rows = assign // TOP_K if FIRST_LAYER else rows
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    rn = offs_n % N
    a_ptrs = a_ptr + a_rows[:, None] * stride_am + offs_k[None, :] * stride_ak
    w_ptrs = w_ptr + expert * stride_we + rn[None, :] * stride_wn + offs_k[:, None] * stride_wk
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_ptrs, mask=valid[:, None] & (offs_k[None, :] < k_left), other=0.0)
        w = tl.load(w_ptrs, mask=offs_k[:, None] < k_left, other=0.0)
        acc = tl.dot(a, w, acc)
        a_ptrs += BLOCK_K * stride_ak
        w_ptrs += BLOCK_K * stride_wk
    if FIRST_LAYER:
        # Rounded to the activation dtype first, as the unfused matmul's output would be.
        acc = acc.to(out_ptr.dtype.element_ty).to(tl.float32)
        acc = acc / (1.0 + tl.exp(-acc))
        out_rows = rows
    else:
        out_rows = assign
    out_ptrs = out_ptr + out_rows[:, None] * stride_om + offs_n[None, :] * stride_on
    out_ok = valid[:, None] & (offs_n[None, :] < N)
    tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=out_ok)


@triton.jit
def _moe_combine_kernel(
    y_ptr,
    topk_p_ptr,
    out_ptr,
    N,
    stride_y,
    stride_o,
    TOP_K: tl.constexpr,
    BLOCK_TOPK: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """out[t] = sum_j p_j / sum(p) * y[t * TOP_K + j]: the renormalised top-k mix."""
    t = tl.program_id(0).to(tl.int64)
    offs_j = tl.arange(0, BLOCK_TOPK)
    j_ok = offs_j < TOP_K
    p = tl.load(topk_p_ptr + t * TOP_K + offs_j, mask=j_ok, other=0.0)
    p = p / tl.sum(p, axis=0)
    offs_n = tl.arange(0, BLOCK_N)
    for start in range(0, N, BLOCK_N):
        n = start + offs_n
        y = tl.load(
            y_ptr + (t * TOP_K + offs_j[:, None]) * stride_y + n[None, :],
            mask=j_ok[:, None] & (n[None, :] < N),
            other=0.0,
        )
        o = tl.sum(y.to(tl.float32) * p[:, None], axis=0)
        tl.store(out_ptr + t * stride_o + n, o.to(out_ptr.dtype.element_ty), mask=n < N)


class ModelNew(nn.Module):
    def __init__(self, hidden_size, ffn_size, num_experts, top_k):
        super().__init__()
        self.top_k = top_k
        self.router = nn.Linear(hidden_size, num_experts, bias=False)
        self.w_in = nn.Parameter(
            torch.randn(num_experts, ffn_size, hidden_size) / math.sqrt(hidden_size)
        )
        self.w_out = nn.Parameter(
            torch.randn(num_experts, hidden_size, ffn_size) / math.sqrt(ffn_size)
        )

    def forward(self, x):
        T, H = x.shape
        E, F, _ = self.w_in.shape
        k = self.top_k
        dev = x.device
        wr, w_in, w_out = self.router.weight, self.w_in, self.w_out
        BLOCK_E = max(16, triton.next_power_of_2(E))

        topk_ids = torch.empty((T, k), device=dev, dtype=torch.int32)
        topk_p = torch.empty((T, k), device=dev, dtype=torch.float32)
        _router_topk_kernel[(triton.cdiv(T, 64),)](
            x,
            wr,
            topk_ids,
            topk_p,
            T,
            H,
            E,
            x.stride(0),
            x.stride(1),
            wr.stride(0),
            wr.stride(1),
            TOP_K=k,
            BLOCK_T=64,
            BLOCK_E=BLOCK_E,
            BLOCK_K=64,
            num_warps=4,
        )

        BLOCK_M = 64
        n_assign = T * k
        # Each expert pads its segment by less than one block.
        max_blocks = triton.cdiv(n_assign, BLOCK_M) + E
        sorted_ids = torch.empty(max_blocks * BLOCK_M, device=dev, dtype=torch.int32)
        block_expert = torch.empty(max_blocks, device=dev, dtype=torch.int32)
        num_blocks = torch.empty(1, device=dev, dtype=torch.int32)
        _moe_align_kernel[(E,)](
            topk_ids,
            sorted_ids,
            block_expert,
            num_blocks,
            n_assign,
            BLOCK_M=BLOCK_M,
            BLOCK_E=BLOCK_E,
            CHUNK=1024,
            num_warps=4,
        )

        h = torch.empty((max_blocks * BLOCK_M, F), device=dev, dtype=x.dtype)
        y = torch.empty((n_assign, H), device=dev, dtype=x.dtype)
        # The grid is sized from the routing result, read back: exactly the blocks there are.
        used_blocks = int(num_blocks.item())
        for a, w, out, N, K, first in ((x, w_in, h, F, H, True), (h, w_out, y, H, F, False)):
            grid = (used_blocks, triton.cdiv(N, 128))
            _moe_grouped_matmul_kernel[grid](
                a,
                w,
                out,
                sorted_ids,
                block_expert,
                num_blocks,
                N,
                K,
                n_assign,
                a.stride(0),
                a.stride(1),
                w.stride(0),
                w.stride(1),
                w.stride(2),
                out.stride(0),
                out.stride(1),
                TOP_K=k,
                FIRST_LAYER=first,
                BLOCK_M=BLOCK_M,
                BLOCK_N=128,
                BLOCK_K=64,
                num_warps=4,
                num_stages=4,
            )

        out = torch.empty_like(x)
        _moe_combine_kernel[(T,)](
            y,
            topk_p,
            out,
            H,
            y.stride(0),
            out.stride(0),
            TOP_K=k,
            BLOCK_TOPK=max(2, triton.next_power_of_2(k)),
            BLOCK_N=min(1024, triton.next_power_of_2(H)),
            num_warps=4,
        )
        return out
