# problem: matmul_square
# expect: incorrect
# names: is false on the values this replay computed
# class: interpreter vs compiled lowering (compiler hints; a conservative refusal kept, session 27:
# README, "Compiler hints checked")
# style: Triton tutorial 03/09 matmul: offsets wrapped into range (% M, % N; tutorial 09 clamps with
# tl.where(offs < M, offs, 0), the same values' shape), then tl.max_contiguous(tl.multiple_of(...,
# BLOCK), BLOCK) on them, as the tutorials write it.
# Why the refusal is kept: on the last tile (M = 100, BLOCK_M = 64: rows 64..99 then 0..27) the
# max_contiguous claim is false, and the compiled kernel trusts it: a vectorised access takes its
# lanes' addresses from the first lane of each vector. The tutorial happens to be right on a GPU
# all the same, for two reasons particular to this kernel: it vectorises along N only when the row
# stride is a multiple of 16, which in its contiguous layout puts the wrap point (N % 64) on a
# vector boundary; and any lane whose address is derived wrongly belongs to a row or column that
# the store masks off. Neither is a fact the check can establish at the hint (the first needs
# the compiled vector width of each load and store it reaches, the second the wrong lanes
# followed to the output), and a hint that is false on a wrapped lane that does reach the output
# is hint_false_max_contiguous's attack. The form that holds (unwrapped offsets, masked tails) is
# accepted: legit/tutorial_matmul_hints_that_hold.py.
# The message names the inner multiple_of: at its call the outer max_contiguous is not stated yet,
# so its runs are the values' longest aligned ones, 4 long (the wrap at lane 36 breaks any longer).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                  GROUP_M: tl.constexpr):
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m

    offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_am = tl.max_contiguous(tl.multiple_of(offs_am, BLOCK_M), BLOCK_M)
    offs_bn = tl.max_contiguous(tl.multiple_of(offs_bn, BLOCK_N), BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0.0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c = acc.to(tl.float16)

    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
    tl.store(c_ptrs, c, mask=c_mask)


class ModelNew(nn.Module):
    def forward(self, a, b):
        M, K = a.shape
        K, N = b.shape
        c = torch.empty((M, N), device=a.device, dtype=torch.float16)
        grid = (triton.cdiv(M, 64) * triton.cdiv(N, 64),)
        matmul_kernel[grid](a, b, c, M, N, K,
                            a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                            c.stride(0), c.stride(1),
                            BLOCK_M=64, BLOCK_N=64, BLOCK_K=32, GROUP_M=8)
        return c
