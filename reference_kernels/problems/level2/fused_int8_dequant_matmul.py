import math

import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "fused_int8_dequant_matmul",
    "level": 2,
    "tags": ["matmul", "fusion", "quantization"],
    "dtype": "float16",
    "description": (
        "Weight-only int8 linear layer (W8A16): y = x @ (w_int8 * scale[:, None]).T, with an "
        "int8 weight [out_features, in_features] and one float16 scale per output channel, "
        "both buffers. A fused kernel reads the int8 weight directly, converts it in "
        "registers and applies the scale once per output in the epilogue."
    ),
    "shapes": {
        # small spans several 128-wide tiles in N and K (the batch stays decode-sized), ragged:
        # a kernel's tile indexing and K loop run on the CPU too, not one tile that hides them.
        "small": {"batch_size": 20, "in_features": 300, "out_features": 200},
        "bench": {"batch_size": 256, "in_features": 8192, "out_features": 8192},
    },
    # Weight-only int8 serves prefill as well as decode: a batch is the tokens of a prompt,
    # thousands of them, not only the 256 of `bench` (twice that is what would be inferred).
    "domain": {"batch_size": {"max": 8192}},
    "bytes": "2 * batch_size * in_features + in_features * out_features + 2 * out_features"
    " + 2 * batch_size * out_features",
    "flops": "2 * batch_size * in_features * out_features",
}

batch_size = 128
in_features = 4096
out_features = 4096


class Model(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        # module.to(float16) casts floating buffers only: the weight stays int8.
        self.register_buffer(
            "weight_int8", torch.randint(-127, 128, (out_features, in_features), dtype=torch.int8)
        )
        # Sized so the outputs are about unit scale; created in float32, cast with the module.
        self.register_buffer(
            "scale", (1.0 + torch.rand(out_features)) / (127.0 * math.sqrt(in_features))
        )

    def forward(self, x):
        w = self.weight_int8.to(x.dtype) * self.scale[:, None]
        return x @ w.t()


def get_inputs():
    return [torch.randn(batch_size, in_features, dtype=torch.float16)]


def get_init_inputs():
    return [in_features, out_features]
