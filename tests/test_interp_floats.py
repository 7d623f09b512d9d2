"""bfloat16 in the interpreter computed as a GPU computes it (interp_floats.py): the
interpreter stores bfloat16 as its uint16 bits and ran NumPy on the integers; the attacks
tests/candidates/adversarial/bf16_*.py gated on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from kernelwright.sandbox import interp_floats

_RUNNER = r"""
import json, sys
import torch
import triton
import triton.language as tl
from kernelwright.sandbox import interp_floats, interp_memory

if sys.argv[1] == "fixed":
    interp_memory.install()  # installs interp_floats, as the zygote and every replay do
assert interp_floats._installed == (sys.argv[1] == "fixed")


@triton.jit
def ops(x_ptr, out_ptr, i_ptr, s, n):
    r = tl.arange(0, 4)
    x = tl.load(x_ptr + r)  # bfloat16
    one = (tl.zeros([4], dtype=tl.float32) + s).to(tl.bfloat16)
    tl.store(out_ptr + r, (one + one).to(tl.float32))
    tl.store(out_ptr + 4 + r, (x * x - x).to(tl.float32))
    tl.store(out_ptr + 8 + r, (-x).to(tl.float32))
    tl.store(out_ptr + 12 + r, tl.where(x < one, 1.0, 0.0))
    tl.store(out_ptr + 16 + r, (tl.zeros([4], dtype=tl.int32) + n).to(tl.bfloat16).to(tl.float32))
    tl.store(i_ptr + r, x.to(tl.int32))
    tl.store(out_ptr + 20 + r, tl.maximum(x, one).to(tl.float32))
    tl.store(out_ptr + 24, tl.argmax(x, 0).to(tl.float32))
    tl.store(out_ptr + 25, tl.sum(x, 0).to(tl.float32))
    # float32 1 + 2^-8 + 2^-20 rounds up to 1 + 2^-7 (the interpreter truncated it)
    y = (tl.zeros([4], dtype=tl.float32) + 1.00390625 + s * 0.00000095367431640625)
    tl.store(out_ptr + 28 + r, y.to(tl.bfloat16).to(tl.float32))
    tl.store(out_ptr + 32 + r, tl.clamp(x, -one, one).to(tl.float32))
    tl.store(out_ptr + 36 + r, x.to(tl.float16).to(tl.float32))
    tl.store(out_ptr + 40 + r, (x.to(tl.float64) * 3).to(tl.bfloat16).to(tl.float32))
    r2 = tl.arange(0, 16)
    a = tl.load(x_ptr + r2[:, None] * 0 + r2[None, :] % 4)
    tl.store(out_ptr + 44 + r2, tl.sum(tl.dot(a, a, out_dtype=tl.float32), axis=1))


@triton.jit
def fp8(out_ptr, s):  # two float8 operands of one type compute in float8 (semantic rule 6)
    r = tl.arange(0, 4)
    v = (s * r.to(tl.float32) - 1.5).to(tl.float8e4nv)  # -1.5, -0.5, 0.5, 1.5
    one = (tl.zeros([4], dtype=tl.float32) + s).to(tl.float8e4nv)
    tl.store(out_ptr + r, (one + one).to(tl.float32))
    tl.store(out_ptr + 4 + r, (v * v - one).to(tl.float32))
    tl.store(out_ptr + 8 + r, tl.where(v < one, 1.0, 0.0))
    tl.store(out_ptr + 12 + r, (-v).to(tl.float32))
    tl.store(out_ptr + 16, tl.sum(v, 0).to(tl.float32))
    tl.store(out_ptr + 17, tl.argmax(v, 0).to(tl.float32))


x = torch.tensor([-3.0, -0.5, 2.5, 7.0], dtype=torch.bfloat16)
o, i = torch.zeros(60), torch.zeros(4, dtype=torch.int32)
ops[(1,)](x, o, i, 1.0, 1)
f = torch.zeros(18)
fp8[(1,)](f, 1.0)
print(json.dumps({"out": o.tolist(), "int": i.tolist(), "fp8": f.tolist()}))
"""


def _run(mode, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, mode],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    return _run("fixed", tmp_path_factory.mktemp("floats"))


def _expected():
    x = torch.tensor([-3.0, -0.5, 2.5, 7.0], dtype=torch.bfloat16)
    one = torch.ones(4, dtype=torch.bfloat16)
    a = x.repeat(16, 4)[:, :16].float()
    rows = (a @ a).sum(1)
    return [
        *(one + one).float().tolist(),
        *(x * x - x).float().tolist(),
        *(-x).float().tolist(),
        *(x < one).float().tolist(),
        *one.float().tolist(),
        *torch.maximum(x, one).float().tolist(),
        3.0,  # argmax: 7.0 (the bit patterns put the negatives on top)
        6.0,
        0.0,
        0.0,
        *[1.0078125] * 4,
        *x.clamp(-1, 1).float().tolist(),
        *x.float().tolist(),  # bf16 -> fp16, exact here
        *(x.double() * 3).float().tolist(),
        *rows.tolist(),
    ]


def test_bfloat16_ops_compute_on_the_values(fixed):
    assert fixed["out"] == _expected()
    assert fixed["int"] == [-3, 0, 2, 7]  # bf16 -> int32: the values truncated


_FP8 = [2.0] * 4 + [1.25, -0.75, -0.75, 1.25] + [1.0, 1.0, 1.0, 0.0] + [1.5, 0.5, -0.5, -1.5]
_FP8 += [0.0, 3.0]


def test_float8_ops_compute_on_the_values(fixed):
    assert fixed["fp8"] == _FP8


def test_the_interpreter_alone_computes_on_the_bits(tmp_path):
    natural = _run("natural", tmp_path)
    out = natural["out"]
    assert out[:4] == [1.7014118346046923e38] * 4  # 0x3F80 + 0x3F80 = 0x7F00
    assert out[16:20] != [1.0] * 4  # int(1) -> the bit pattern 1
    assert out != _expected()
    assert natural["fp8"][:4] == [128.0] * 4 and natural["fp8"] != _FP8  # 0x38 + 0x38 = 0x70


def test_encode_rounds_to_nearest_even_once():
    bits = np.random.default_rng(0).integers(0, 2**32, 100_000, dtype=np.uint32)
    f = bits.view(np.float32)
    ours = interp_floats.encode(f)
    theirs = torch.from_numpy(f.copy()).to(torch.bfloat16).view(torch.int16).numpy()
    finite = np.isfinite(f)
    assert (ours[finite] == theirs.view(np.uint16)[finite]).all()  # torch's float32 -> bf16 is RNE
    assert np.isnan(interp_floats.decode(ours[np.isnan(f)])).all()
    # float64 1 + 2^-8 + 2^-40: float32 makes it the tie 1 + 2^-8 (-> 1.0 by RNE); the value
    # rounded once is 1 + 2^-7. The same from an int64 just above a tie.
    assert interp_floats.decode(interp_floats.encode(np.array([1 + 2**-8 + 2**-40]))) == 1.0078125
    assert interp_floats.decode(interp_floats.encode(np.array([257 * 2**32 + 1]))).item() == float(
        258 * 2**32
    )
    assert interp_floats.decode(interp_floats.encode(np.array([257]))).item() == 256.0  # a tie
