# problem: moe_topk_routing
# style: three kernels: fp32 router (logits, softmax, top-k by repeated tl.argmax with masking, renormalise) writing int32 ids + fp32 weights; gathered expert up-projection with SiLU per (token, slot) on a 2D grid reading the expert id in-kernel; down-projection summing the k slots with the routing weights; static_range over a constexpr TOP_K
# A false reject found in session 26 (compile_error: `TOP_K` of the second `for s in
# tl.static_range(TOP_K)` "evaluated in other unrolled loop trips"): the compile keyed a loop's
# iterator arguments by the trip the name `s` still held from the loop before; fixed by keying a
# loop's trips only on the nodes of its body (static_values.recording).
import math
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def router_topk_kernel(x_ptr, wr_ptr, ids_ptr, wts_ptr, H, E, stride_x, stride_wr,
                       TOP_K: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_H: tl.constexpr):
    t = tl.program_id(0)
    e = tl.arange(0, BLOCK_E)
    emask = e < E
    logits = tl.zeros([BLOCK_E], dtype=tl.float32)
    for h0 in range(0, H, BLOCK_H):
        h = h0 + tl.arange(0, BLOCK_H)
        hmask = h < H
        xv = tl.load(x_ptr + t * stride_x + h, mask=hmask, other=0.0).to(tl.float32)
        w = tl.load(wr_ptr + e[:, None] * stride_wr + h[None, :], mask=emask[:, None] & hmask[None, :],
                    other=0.0).to(tl.float32)
        logits += tl.sum(w * xv[None, :], axis=1)
    logits = tl.where(emask, logits, float("-inf"))
    p = tl.exp(logits - tl.max(logits, axis=0))
    p = p / tl.sum(p, axis=0)
    p = tl.where(emask, p, -1.0)
    total = 0.0
    for s in tl.static_range(TOP_K):
        idx = tl.argmax(p, axis=0, tie_break_left=True)
        val = tl.max(p, axis=0)
        tl.store(ids_ptr + t * TOP_K + s, idx.to(tl.int32))
        tl.store(wts_ptr + t * TOP_K + s, val)
        total += val
        p = tl.where(e == idx, -1.0, p)
    for s in tl.static_range(TOP_K):
        w = tl.load(wts_ptr + t * TOP_K + s)
        tl.store(wts_ptr + t * TOP_K + s, w / total)


@triton.jit
def expert_up_silu_kernel(x_ptr, ids_ptr, w_in_ptr, h_ptr, H, F, stride_x,
                          stride_we, stride_wf, stride_hrow,
                          TOP_K: tl.constexpr, BLOCK_F: tl.constexpr, BLOCK_H: tl.constexpr):
    pair = tl.program_id(0)  # token * TOP_K + slot
    pid_f = tl.program_id(1)
    t = pair // TOP_K
    e = tl.load(ids_ptr + pair).to(tl.int64)
    f = pid_f * BLOCK_F + tl.arange(0, BLOCK_F)
    fmask = f < F
    acc = tl.zeros([BLOCK_F], dtype=tl.float32)
    for h0 in range(0, H, BLOCK_H):
        h = h0 + tl.arange(0, BLOCK_H)
        hmask = h < H
        xv = tl.load(x_ptr + t * stride_x + h, mask=hmask, other=0.0).to(tl.float32)
        w = tl.load(w_in_ptr + e * stride_we + f[:, None] * stride_wf + h[None, :],
                    mask=fmask[:, None] & hmask[None, :], other=0.0).to(tl.float32)
        acc += tl.sum(w * xv[None, :], axis=1)
    g = acc.to(tl.float16).to(tl.float32)
    s = g * tl.sigmoid(g)
    tl.store(h_ptr + pair.to(tl.int64) * stride_hrow + f, s.to(h_ptr.dtype.element_ty), mask=fmask)


@triton.jit
def expert_down_combine_kernel(h_ptr, ids_ptr, wts_ptr, w_out_ptr, out_ptr, H, F,
                               stride_hrow, stride_we, stride_wh, stride_o,
                               TOP_K: tl.constexpr, BLOCK_HO: tl.constexpr, BLOCK_F: tl.constexpr):
    t = tl.program_id(0)
    pid_h = tl.program_id(1)
    ho = pid_h * BLOCK_HO + tl.arange(0, BLOCK_HO)
    hmask = ho < H
    out = tl.zeros([BLOCK_HO], dtype=tl.float32)
    for s in tl.static_range(TOP_K):
        pair = t * TOP_K + s
        e = tl.load(ids_ptr + pair).to(tl.int64)
        wt = tl.load(wts_ptr + pair)
        acc = tl.zeros([BLOCK_HO], dtype=tl.float32)
        for f0 in range(0, F, BLOCK_F):
            f = f0 + tl.arange(0, BLOCK_F)
            fmask = f < F
            hv = tl.load(h_ptr + pair.to(tl.int64) * stride_hrow + f, mask=fmask, other=0.0).to(tl.float32)
            w = tl.load(w_out_ptr + e * stride_we + ho[:, None] * stride_wh + f[None, :],
                        mask=hmask[:, None] & fmask[None, :], other=0.0).to(tl.float32)
            acc += tl.sum(w * hv[None, :], axis=1)
        y = acc.to(tl.float16).to(tl.float32)
        out += y * wt
    tl.store(out_ptr + t * stride_o + ho, out.to(out_ptr.dtype.element_ty), mask=hmask)


class ModelNew(nn.Module):
    def __init__(self, hidden_size, ffn_size, num_experts, top_k):
        super().__init__()
        self.top_k = top_k
        self.router = nn.Linear(hidden_size, num_experts, bias=False)
        self.w_in = nn.Parameter(torch.randn(num_experts, ffn_size, hidden_size) / math.sqrt(hidden_size))
        self.w_out = nn.Parameter(torch.randn(num_experts, hidden_size, ffn_size) / math.sqrt(ffn_size))

    def forward(self, x):
        x2 = x.reshape(-1, x.shape[-1]).contiguous()
        T, H = x2.shape
        E, F, _ = self.w_in.shape
        K = self.top_k
        wr = self.router.weight
        w_in = self.w_in.contiguous()
        w_out = self.w_out.contiguous()
        ids = torch.empty((T, K), device=x.device, dtype=torch.int32)
        wts = torch.empty((T, K), device=x.device, dtype=torch.float32)
        router_topk_kernel[(T,)](x2, wr, ids, wts, H, E, x2.stride(0), wr.stride(0),
                                 TOP_K=K, BLOCK_E=max(2, triton.next_power_of_2(E)), BLOCK_H=64)
        h = torch.empty((T * K, F), device=x.device, dtype=x.dtype)
        BLOCK_F = 64
        expert_up_silu_kernel[(T * K, triton.cdiv(F, BLOCK_F))](
            x2, ids, w_in, h, H, F, x2.stride(0), w_in.stride(0), w_in.stride(1), h.stride(0),
            TOP_K=K, BLOCK_F=BLOCK_F, BLOCK_H=64)
        out = torch.empty((T, H), device=x.device, dtype=x.dtype)
        BLOCK_HO = 64
        expert_down_combine_kernel[(T, triton.cdiv(H, BLOCK_HO))](
            h, ids, wts, w_out, out, H, F, h.stride(0), w_out.stride(0), w_out.stride(1), out.stride(0),
            TOP_K=K, BLOCK_HO=BLOCK_HO, BLOCK_F=64)
        return out.view(x.shape)
