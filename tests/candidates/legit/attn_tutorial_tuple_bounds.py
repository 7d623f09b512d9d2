# problem: attn_causal_prefill
# style: Triton tutorial 06 fused attention (forward): _attn_fwd_inner helper called twice with a STAGE constexpr (off-diagonal blocks unmasked, diagonal block masked), exp2 with qk_scale folded by log2(e), running m_i/l_i, 3D-ish grid (q-block, batch*head), tl.dot for QK^T and PV
# A false reject found in session 26 (compile_error: the compiler makes `lo` of
# `lo, hi = 0, start_m * BLOCK_M` an int32 tensor, the interpreter kept the constant 0); fixed by
# the interpreter's rewrite converting a tuple-target assignment leaf by leaf, as the compiler
# does (interp_rewrite).
import math
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _attn_fwd_inner(acc, l_i, m_i, q, K_base, V_base, stride_kn, stride_vn,
                    start_m, qk_scale, N_CTX,
                    BLOCK_M: tl.constexpr, HEAD_DIM: tl.constexpr, BLOCK_N: tl.constexpr,
                    STAGE: tl.constexpr, offs_m, offs_n, offs_d, D_ACT):
    if STAGE == 1:
        lo, hi = 0, start_m * BLOCK_M
    else:
        lo, hi = start_m * BLOCK_M, (start_m + 1) * BLOCK_M
    for start_n in range(lo, hi, BLOCK_N):
        cols = start_n + offs_n
        kmask = (cols[None, :] < N_CTX) & (offs_d[:, None] < D_ACT)
        k = tl.load(K_base + cols[None, :] * stride_kn + offs_d[:, None], mask=kmask, other=0.0)
        qk = tl.dot(q, k)
        if STAGE == 2:
            mask = (offs_m[:, None] >= cols[None, :]) & (cols[None, :] < N_CTX)
            qk = qk * qk_scale + tl.where(mask, 0, -1.0e6)
            m_ij = tl.maximum(m_i, tl.max(qk, 1))
            qk -= m_ij[:, None]
        else:
            m_ij = tl.maximum(m_i, tl.max(qk, 1) * qk_scale)
            qk = qk * qk_scale - m_ij[:, None]
        p = tl.math.exp2(qk)
        l_ij = tl.sum(p, 1)
        alpha = tl.math.exp2(m_i - m_ij)
        l_i = l_i * alpha + l_ij
        acc = acc * alpha[:, None]
        vmask = (cols[:, None] < N_CTX) & (offs_d[None, :] < D_ACT)
        v = tl.load(V_base + cols[:, None] * stride_vn + offs_d[None, :], mask=vmask, other=0.0)
        acc = tl.dot(p.to(v.dtype), v, acc)
        m_i = m_ij
    return acc, l_i, m_i


@triton.jit
def _attn_fwd(Q, K, V, sm_scale, Out,
              stride_qz, stride_qh, stride_qm, stride_kz, stride_kh, stride_kn,
              stride_vz, stride_vh, stride_vn, stride_oz, stride_oh, stride_om,
              H, N_CTX, D_ACT,
              HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    start_m = tl.program_id(0)
    off_hz = tl.program_id(1)
    off_z = (off_hz // H).to(tl.int64)
    off_h = (off_hz % H).to(tl.int64)
    Q_base = Q + off_z * stride_qz + off_h * stride_qh
    K_base = K + off_z * stride_kz + off_h * stride_kh
    V_base = V + off_z * stride_vz + off_h * stride_vh
    O_base = Out + off_z * stride_oz + off_h * stride_oh
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    m_i = tl.zeros([BLOCK_M], dtype=tl.float32) - float("inf")
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32) + 1.0
    acc = tl.zeros([BLOCK_M, HEAD_DIM], dtype=tl.float32)
    qk_scale = sm_scale * 1.44269504
    qmask = (offs_m[:, None] < N_CTX) & (offs_d[None, :] < D_ACT)
    q = tl.load(Q_base + offs_m[:, None] * stride_qm + offs_d[None, :], mask=qmask, other=0.0)
    # stage 1: blocks strictly left of the diagonal
    acc, l_i, m_i = _attn_fwd_inner(acc, l_i, m_i, q, K_base, V_base, stride_kn, stride_vn,
                                    start_m, qk_scale, N_CTX, BLOCK_M, HEAD_DIM, BLOCK_N,
                                    1, offs_m, offs_n, offs_d, D_ACT)
    # stage 2: the diagonal block, masked
    acc, l_i, m_i = _attn_fwd_inner(acc, l_i, m_i, q, K_base, V_base, stride_kn, stride_vn,
                                    start_m, qk_scale, N_CTX, BLOCK_M, HEAD_DIM, BLOCK_N,
                                    2, offs_m, offs_n, offs_d, D_ACT)
    acc = acc / l_i[:, None]
    tl.store(O_base + offs_m[:, None] * stride_om + offs_d[None, :], acc.to(Out.type.element_ty), mask=qmask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v):
        B, H, S, D = q.shape
        assert q.stride(-1) == 1 and k.stride(-1) == 1 and v.stride(-1) == 1
        o = torch.empty_like(q)
        BLOCK_M, BLOCK_N = 64, 32
        HEAD_DIM = max(16, triton.next_power_of_2(D))
        grid = (triton.cdiv(S, BLOCK_M), B * H, 1)
        _attn_fwd[grid](q, k, v, 1.0 / math.sqrt(D), o,
                        q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1), k.stride(2),
                        v.stride(0), v.stride(1), v.stride(2), o.stride(0), o.stride(1), o.stride(2),
                        H, S, D, HEAD_DIM=HEAD_DIM, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N,
                        num_warps=4, num_stages=3)
        return o
