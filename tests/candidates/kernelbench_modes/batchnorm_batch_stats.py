# Training-mode BatchNorm (KernelBench's meaning): normalise each channel by the statistics
# of this batch.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bn_batch_stats_kernel(x_ptr, w_ptr, b_ptr, y_ptr, N, C, HW, eps,
                          BLOCK_N: tl.constexpr, BLOCK_HW: tl.constexpr):
    c = tl.program_id(0)
    n = tl.arange(0, BLOCK_N)[:, None]
    hw = tl.arange(0, BLOCK_HW)[None, :]
    mask = (n < N) & (hw < HW)
    offs = n * C * HW + c * HW + hw
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    count = N * HW
    mean = tl.sum(tl.sum(x, axis=1), axis=0) / count
    d = tl.where(mask, x - mean, 0.0)
    var = tl.sum(tl.sum(d * d, axis=1), axis=0) / count
    w = tl.load(w_ptr + c)
    b = tl.load(b_ptr + c)
    tl.store(y_ptr + offs, d / tl.sqrt(var + eps) * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, num_features: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features=num_features)

    def forward(self, x):
        x = x.contiguous()
        N, C, H, W = x.shape
        y = torch.empty_like(x)
        bn_batch_stats_kernel[(C,)](
            x, self.bn.weight, self.bn.bias, y, N, C, H * W, self.bn.eps,
            BLOCK_N=triton.next_power_of_2(N), BLOCK_HW=triton.next_power_of_2(H * W),
        )
        return y
