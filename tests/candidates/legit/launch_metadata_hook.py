# problem: transpose_copy
# style: tutorial 09 style @triton.jit(launch_metadata=...) host hook naming the launch and its bytes (for proton profiling); tiled transpose with tl.trans on a 2D grid
# A false reject found in session 26: the launch_metadata hook was refused as a jit option that is
# not literal data (hooks are now dropped from the extraction, unrun).
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _transpose_launch_metadata(grid, kernel, args):
    M, N = args["M"], args["N"]
    return {"name": f"{kernel.name} [M={M}, N={N}]", "bytes": 2 * M * N * args["x_ptr"].element_size()}


@triton.jit(launch_metadata=_transpose_launch_metadata)
def transpose_kernel(x_ptr, y_ptr, M, N, stride_xm, stride_ym, TILE: tl.constexpr):
    rm = tl.program_id(0) * TILE + tl.arange(0, TILE)
    rn = tl.program_id(1) * TILE + tl.arange(0, TILE)
    tile = tl.load(x_ptr + rm[:, None] * stride_xm + rn[None, :], mask=(rm[:, None] < M) & (rn[None, :] < N))
    tl.store(y_ptr + rn[:, None] * stride_ym + rm[None, :], tl.trans(tile), mask=(rn[:, None] < N) & (rm[None, :] < M))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        M, N = x.shape
        y = torch.empty((N, M), device=x.device, dtype=x.dtype)
        TILE = 32
        transpose_kernel[(triton.cdiv(M, TILE), triton.cdiv(N, TILE))](x, y, M, N, x.stride(0), y.stride(0), TILE=TILE)
        return y
