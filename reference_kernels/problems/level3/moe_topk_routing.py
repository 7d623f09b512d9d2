import math

import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "moe_topk_routing",
    "level": 3,
    "tags": ["moe", "matmul", "routing", "fusion", "gather"],
    "dtype": "float16",
    "description": (
        "A top-k mixture-of-experts layer (Mixtral-style, k=2 by default; k is a constructor "
        "argument, from 1 to 8): a router computes float32 logits, softmax and top-k; the "
        "chosen probabilities are renormalised; each token's output is the weighted sum of "
        "its experts' MLPs, w_out[e] @ silu(w_in[e] @ x). "
        "Experts are stacked weight parameters [E, ffn, hidden] and [E, hidden, ffn]. A fast "
        "implementation groups tokens by expert and runs one grouped matmul per layer."
    ),
    "shapes": {
        "small": {"num_tokens": 40, "hidden_size": 48, "ffn_size": 72, "num_experts": 6},
        "bench": {"num_tokens": 4096, "hidden_size": 2048, "ffn_size": 5632, "num_experts": 8},
    },
    # k is the layer's own choice, not a constant of the method: Switch routes to one expert,
    # Mixtral to two, DeepSeek and Qwen MoE layers to six or eight. The held-out draw takes
    # another k (one, next to the minimum), which a kernel tiled for k=2 must also handle.
    "domain": {"top_k": {"min": 1, "max": 8, "multiple_of": 1}},
    # Inputs x0.001 put every router logit within a few thousandths of zero: the softmax is
    # almost uniform and which experts a token picks turns on float32 ulps, so rounding alone
    # (an exp one ulp off, another summation order) swaps a token's experts and its whole row.
    "regimes": {
        "scaled_down": {
            "skip": "x0.001 makes the router's softmax nearly uniform: top-k is then decided "
            "by rounding, a near-tie, not by the kernel's correctness"
        }
    },
    "bytes": "2 * (2 * num_tokens * hidden_size + hidden_size * num_experts"
    " + 2 * num_experts * hidden_size * ffn_size)",
    "flops": "2 * num_tokens * hidden_size * num_experts"
    " + 4 * num_tokens * top_k * hidden_size * ffn_size",
}

num_tokens = 1024
hidden_size = 1024
ffn_size = 2816
num_experts = 8
top_k = 2


class Model(nn.Module):
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
        # Routing in float32, so which experts a token picks does not hinge on float16 rounding.
        logits = torch.nn.functional.linear(x.float(), self.router.weight.float())
        probs = torch.softmax(logits, dim=-1)
        weights, experts = torch.topk(probs, self.top_k, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros(x.shape, dtype=torch.float32, device=x.device)
        for e in range(self.w_in.shape[0]):
            token, slot = torch.where(experts == e)
            if token.numel() == 0:
                continue
            h = torch.nn.functional.silu(x[token] @ self.w_in[e].t())
            y = h @ self.w_out[e].t()
            out.index_add_(0, token, y.float() * weights[token, slot, None])
        return out.to(x.dtype)


def get_inputs():
    return [torch.randn(num_tokens, hidden_size, dtype=torch.float16)]


def get_init_inputs():
    return [hidden_size, ffn_size, num_experts, top_k]
