import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "fused_swiglu_mlp",
    "level": 2,
    "tags": ["matmul", "fusion", "activation", "mlp"],
    "dtype": "float16",
    "description": (
        "The SwiGLU feed-forward block of Llama-style models: down(silu(gate(x)) * up(x)), "
        "three bias-free linear layers. The gate and up projections share their input, so "
        "one kernel can compute both and apply silu(g) * u in its epilogue."
    ),
    "shapes": {
        # small spans several 64- and 128-wide tiles in every dimension, ragged: a kernel's
        # tile indexing and K loop run on the CPU too, not one tile that hides them.
        "small": {"num_tokens": 140, "hidden_size": 136, "intermediate_size": 150},
        "bench": {"num_tokens": 4096, "hidden_size": 4096, "intermediate_size": 11008},
    },
    "bytes": "2 * (2 * num_tokens * hidden_size + 3 * hidden_size * intermediate_size)",
    "flops": "6 * num_tokens * hidden_size * intermediate_size",
    # Outputs are about 0.1 in size: the default atol (1e-2) would hide a tenth of that.
    "tolerances": {"float16": {"atol": 2e-3, "rtol": 1e-2}},
}

num_tokens = 512
hidden_size = 1024
intermediate_size = 2816


class Model(nn.Module):
    def __init__(self, hidden_size, intermediate_size):
        super().__init__()
        self.gate_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(torch.nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


def get_inputs():
    return [torch.randn(num_tokens, hidden_size, dtype=torch.float16)]


def get_init_inputs():
    return [hidden_size, intermediate_size]
