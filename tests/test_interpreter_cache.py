"""interpreter_cache: what it saves changes nothing the interpreter computes or builds.

Each check runs in a fresh interpreter (the patches are for the whole process), once with
Triton's own code and once with ``interpreter_cache.install()``, and compares."""

from __future__ import annotations

import json
import os
import subprocess
import sys

TYPES = r"""
import json, sys
import triton.language as tl
from triton.language import core

def seen(x):
    # Every attribute, its type, and for a tl.tuple the type and value of each item.
    out = {}
    for k, v in sorted(vars(x).items()):
        if k == "handle":
            continue
        if isinstance(v, core.tuple):
            out[k] = ["tl.tuple", [[type(e).__name__, repr(getattr(e, "value", e))] for e in v.values]]
        else:
            out[k] = [type(v).__name__, repr(v)]
    return out

def made():
    rows = []
    shapes = [[128], [64, 32], core.tuple([16, 16]), [1, 1024], [core.constexpr(8)], [True]]
    for s in shapes * 2:  # the second time from the cache
        b = core.block_type(tl.float32, s)
        rows.append(seen(b))
        rows.append(seen(b.with_element_ty(tl.int8)))
        rows.append(seen(core.tensor(None, core.block_type(tl.float16, s))))
    rows.append(seen(core.tensor(None, tl.int32)))
    for bad in ([3], [0], [], (4,), [4.0], "x"):
        try:
            core.block_type(tl.float32, bad)
            rows.append(["accepted", repr(bad)])
        except BaseException as e:
            rows.append([type(e).__name__, str(e)])
    return rows

if sys.argv[1] == "cached":
    from kernelwright.sandbox import interpreter_cache
    interpreter_cache.install()
print(json.dumps(made()))
"""

KERNELS = r"""
import json, sys
import numpy as np
import torch
import triton
import triton.language as tl

if sys.argv[1] == "cached":
    from kernelwright.sandbox import interpreter_cache
    interpreter_cache.install()

@triton.jit
def mixed(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    rows = tl.arange(0, BLOCK)[:, None]
    cols = tl.arange(0, BLOCK)[None, :]
    x = tl.load(x_ptr + rows * BLOCK + cols)  # 2-d
    y = tl.load(y_ptr + tl.arange(0, BLOCK))  # 1-d, broadcast against 2-d
    z = x * y + x  # same shapes: the shared-shape path
    z = z + 1  # a block and a scalar
    h = z.to(tl.float16).to(tl.float32)  # casts away and back
    w = tl.sum(y * x, axis=1)  # 1-d times 2-d: the result's type is the broadcast shape
    s = tl.sum(h, axis=1) + w  # a reduction (Triton's @jit helpers)
    i = (s * 3).to(tl.int32).to(tl.float32)  # to an int and back
    m = tl.maximum(s, i)[:, None] + tl.zeros([BLOCK, BLOCK], tl.float32)
    same = m.to(tl.float32)  # a cast to its own type
    tl.store(out_ptr + rows * BLOCK + cols, same + h + tl.where(cols < n, x, -x))

B = 16
g = torch.Generator().manual_seed(0)
x = torch.randn(B * B, generator=g)
y = torch.randn(B, generator=g)
out = torch.empty(B * B)
mixed[(1,)](x, y, out, 5, BLOCK=B)
print(json.dumps(out.numpy().view(np.uint32).tolist()))
"""


def _run(script: str, mode: str) -> list:
    env = dict(os.environ, TRITON_INTERPRET="1")
    done = subprocess.run(
        [sys.executable, "-c", script, mode], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_block_types_and_tensors_are_built_as_triton_builds_them():
    own, cached = _run(TYPES, "own"), _run(TYPES, "cached")
    assert cached == own
    # The shapes really went through both paths: a 2-d shape is a tl.tuple of ints.
    assert own[3]["shape"] == ["tl.tuple", [["int", "64"], ["int", "32"]]]
    assert ["AssertionError", ""] in own  # a builtins tuple is refused, cached or not


def test_an_interpreted_kernel_computes_the_same_bits():
    own = _run(KERNELS, "own")
    assert _run(KERNELS, "cached") == own
    assert len(set(own)) > 16  # a real output, not a constant
