import torch
import torch.nn as nn

KERNELWRIGHT = {
    "name": "argmax",
    "level": 1,
    "tags": ["reduction", "argmax"],
    "dtype": "float32",
    "description": (
        "Index (int64) of the largest element of each row; ties go to the first index, "
        "as in torch.argmax."
    ),
    "shapes": {
        "small": {"batch_size": 3, "dim": 4500},
        "bench": {"batch_size": 8192, "dim": 8192},
    },
    # argmax is shift-invariant, and scores far from zero (accumulated log-probabilities,
    # timestamps) put neighbouring values a few float32 ulps apart relative to their size: an
    # argmax taken in a narrower type ties them and returns the wrong index. At 30000 float16's
    # spacing is 16, so a row's values all round to one or two float16 values and tie for
    # certain (at 3000 the spacing was 2, and a row's top value was often alone in its bucket:
    # a float16 argmax passed about one check in ten); float32's spacing is 1/512 there,
    # far below the gaps between a row's largest values.
    "regimes": {"far_offset": {"shift": 30000}},
    "bytes": "batch_size * dim * 4 + batch_size * 8",
    "flops": "batch_size * dim",
}

batch_size = 4096
dim = 8192


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.argmax(x, dim=-1)


def get_inputs():
    return [torch.randn(batch_size, dim, dtype=torch.float32)]


def get_init_inputs():
    return []
