# expect: incorrect
# A linear layer in the grouped tile order of Triton's matmul tutorial (GROUP_M row tiles swept
# together along N) whose column-tile count is floored. The tile each program computes is
# wrong only with several column tiles, the last one partial, and more row tiles than a
# group holds: never at `small` (one row tile), nor at the held-out shape that stretches K.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def grouped_linear_relu_kernel(x_ptr, w_ptr, b_ptr, out_ptr, M, N, K,
                               BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                               GROUP_M: tl.constexpr):
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BM)
    num_pid_n = N // BN
    num_pid_in_group = GROUP_M * num_pid_n
    first_pid_m = (pid // num_pid_in_group) * GROUP_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + (pid % num_pid_in_group) % group_size_m
    pid_n = (pid % num_pid_in_group) // group_size_m
    rm = pid_m * BM + tl.arange(0, BM)
    rn = pid_n * BN + tl.arange(0, BN)
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k0 in range(0, K, BK):
        rk = k0 + tl.arange(0, BK)
        a = tl.load(x_ptr + rm[:, None] * K + rk[None, :], mask=(rm[:, None] < M) & (rk[None, :] < K), other=0.0)
        w = tl.load(w_ptr + rn[None, :] * K + rk[:, None], mask=(rn[None, :] < N) & (rk[:, None] < K), other=0.0)
        acc += tl.dot(a, w, input_precision="ieee")
    acc += tl.load(b_ptr + rn, mask=rn < N, other=0.0)[None, :]
    acc = tl.maximum(acc, 0.0)
    tl.store(out_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.linear = nn.Linear(fin, fout)

    def forward(self, x):
        M, K = x.shape
        N = self.linear.weight.shape[0]
        out = torch.empty(M, N, device=x.device, dtype=x.dtype)
        grid = (triton.cdiv(M, 64) * triton.cdiv(N, 32),)
        grouped_linear_relu_kernel[grid](
            x, self.linear.weight, self.linear.bias, out, M, N, K, BM=64, BN=32, BK=32, GROUP_M=8
        )
        return out
