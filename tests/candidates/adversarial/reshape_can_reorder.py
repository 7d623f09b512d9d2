# problem: transpose_copy
# expect: incorrect
# names: reordered reshape:
# class: 7 (a kernel body that is not Triton: the interpreter's semantics are not the compiled ones)
# Session 26, by an attacker (correct then). Closed by semantics.py ("reordered reshape"): in the
# perturbed replays the result of every reshape that may reorder (can_reorder=True, tl.view) and of
# every tl.cat(can_reorder=True) is permuted (one permutation per replay and pair of shapes), so
# only an order-insensitive use of it survives.
# The attacker's notes:
# idea: tl.reshape(t, shape, can_reorder=True) lets the compiler hand back the elements in any
#       order (it keeps each thread's registers and picks a layout for them); the interpreter's
#       create_reshape is np.reshape, in order, allow_reorder ignored. Each program loads a tile
#       transposed, flattens it with can_reorder=True and stores it contiguously: in order in
#       the interpreter, permuted compiled.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def transpose_kernel(x_ptr, y_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    # y (N x M) = x.T; program (j, i) writes y[j*BN:(j+1)*BN, i*BM:(i+1)*BM] as BN rows of BM
    pid_i = tl.program_id(0)
    pid_j = tl.program_id(1)
    rj = pid_j * BN + tl.arange(0, BN)
    ri = pid_i * BM + tl.arange(0, BM)
    # tile t[a, b] = x[ri[b], rj[a]] = y[rj[a], ri[b]]
    mask = (rj[:, None] < N) & (ri[None, :] < M)
    t = tl.load(x_ptr + ri[None, :] * N + rj[:, None], mask=mask, other=0.0)
    flat = tl.reshape(t, (BN * BM,), can_reorder=True)
    k = tl.arange(0, BN * BM)
    a = k // BM
    b = k % BM
    row = pid_j * BN + a
    col = pid_i * BM + b
    tl.store(y_ptr + row * M + col, flat, mask=(row < N) & (col < M))


class ModelNew(nn.Module):
    def forward(self, x):
        M, N = x.shape
        y = torch.empty((N, M), device=x.device, dtype=x.dtype)
        grid = (triton.cdiv(M, 32), triton.cdiv(N, 32))
        transpose_kernel[grid](x, y, M, N, BM=32, BN=32)
        return y
