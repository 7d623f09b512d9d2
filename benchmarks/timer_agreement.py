"""Our timer against triton.testing.do_bench, side by side, and each one's run-to-run spread.

    python benchmarks/timer_agreement.py [--repeats 5]

Times a copy, a softmax and a matmul, each in Triton and in PyTorch, with ``time_fn`` and with
``do_bench(return_mode="median")`` (both flush the L2 before every repetition), alternating the
two timers, and prints the median of the medians, the ratio ours/do_bench, and the spread
(max - min) / median over the repeats. Printed, not asserted: the GPU tests assert agreement.
"""

from __future__ import annotations

import argparse
import statistics
import sys

import triton
import triton.language as tl


@triton.jit
def copy_kernel(src, dst, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst + offs, tl.load(src + offs, mask=mask), mask=mask)


@triton.jit
def softmax_kernel(x, y, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    v = tl.load(x + row * n_cols + offs, mask=mask, other=-float("inf")).to(tl.float32)
    e = tl.exp(v - tl.max(v, axis=0))
    tl.store(y + row * n_cols + offs, (e / tl.sum(e, axis=0)).to(y.dtype.element_ty), mask=mask)


@triton.jit
def matmul_kernel(a, b, c, M, N, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    rm = pid_m * BM + tl.arange(0, BM)
    rn = pid_n * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k in range(0, K, BK):
        a_tile = tl.load(a + rm[:, None] * K + (k + rk)[None, :])
        b_tile = tl.load(b + (k + rk)[:, None] * N + rn[None, :])
        acc += tl.dot(a_tile, b_tile)
    tl.store(c + rm[:, None] * N + rn[None, :], acc.to(c.dtype.element_ty))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from kernelwright.sandbox.timing import time_fn, timing_unavailable_reason

    reason = timing_unavailable_reason()
    if reason:
        print(f"timer_agreement needs a GPU: {reason}")
        return 0

    import torch
    from triton.testing import do_bench

    dev = "cuda"
    n_copy = 1 << 28  # 1 GiB of fp32 read, 1 GiB written
    src = torch.randn(n_copy, device=dev)
    dst = torch.empty_like(src)
    rows = cols = 8192
    x = torch.randn(rows, cols, device=dev, dtype=torch.float16)
    y = torch.empty_like(x)
    size = 4096  # divisible by every block size below
    a = torch.randn(size, size, device=dev, dtype=torch.float16)
    b = torch.randn(size, size, device=dev, dtype=torch.float16)
    c = torch.empty(size, size, device=dev, dtype=torch.float16)

    kernels = {
        "copy/triton": lambda: copy_kernel[(triton.cdiv(n_copy, 4096),)](
            src, dst, n_copy, BLOCK=4096
        ),
        "copy/torch": lambda: dst.copy_(src),
        "softmax/triton": lambda: softmax_kernel[(rows,)](x, y, cols, BLOCK=8192, num_warps=16),
        "softmax/torch": lambda: torch.softmax(x, dim=-1),
        "matmul/triton": lambda: matmul_kernel[(size // 128, size // 128)](
            a, b, c, size, size, size, BM=128, BN=128, BK=64, num_warps=8, num_stages=3
        ),
        "matmul/torch": lambda: torch.matmul(a, b),
    }
    # The Triton kernels must compute what they claim before their times mean anything.
    kernels["copy/triton"]()
    kernels["softmax/triton"]()
    kernels["matmul/triton"]()
    torch.testing.assert_close(dst, src)
    torch.testing.assert_close(y, torch.softmax(x.float(), dim=-1).half(), atol=1e-3, rtol=1e-2)
    torch.testing.assert_close(c, torch.matmul(a, b), atol=0.5, rtol=2e-2)

    print(
        f"device: {torch.cuda.get_device_name()}  torch {torch.__version__}  "
        f"triton {triton.__version__}  repeats {args.repeats}"
    )
    header = (
        f"{'kernel':16} {'ours ms':>10} {'do_bench ms':>12} {'ratio':>7} "
        f"{'ours spread':>12} {'do_bench spread':>16} {'ours n':>7} {'conv':>5}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, fn in kernels.items():
        ours, theirs, ns, converged = [], [], [], 0
        for _ in range(args.repeats):
            stats = time_fn(fn)
            ours.append(stats.median_ms)
            ns.append(stats.n)
            converged += stats.converged
            theirs.append(do_bench(fn, return_mode="median"))
        mo, mt = statistics.median(ours), statistics.median(theirs)
        worst = max(worst, abs(mo / mt - 1))
        print(
            f"{name:16} {mo:10.4f} {mt:12.4f} {mo / mt:7.3f} "
            f"{(max(ours) - min(ours)) / mo:11.2%} {(max(theirs) - min(theirs)) / mt:15.2%} "
            f"{int(statistics.median(ns)):7d} {converged:>2}/{args.repeats}"
        )
    print(f"largest |ours/do_bench - 1|: {worst:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
