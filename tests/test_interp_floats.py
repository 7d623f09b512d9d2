"""bfloat16 and float8 in the interpreter computed as a GPU computes them (interp_floats.py):
the interpreter stores bfloat16 as its uint16 bits and ran NumPy on the integers; its float8
conversions wrapped past the largest value, flushed subnormals and read inf and NaN as numbers.
The attacks tests/candidates/adversarial/bf16_*.py and fp8_*.py gated on them."""

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


@triton.jit
def fp8_convert(out_ptr, s):
    r = tl.arange(0, 4)
    z = tl.zeros([4], dtype=tl.float32) + s
    tl.store(out_ptr + r, (z * 1000.0).to(tl.bfloat16).to(tl.float8e4nv).to(tl.float32))
    tl.store(out_ptr + 4 + r, (z * 0.001).to(tl.float8e4nv).to(tl.float32))
    e5 = (r + 124).to(tl.uint8).to(tl.float8e5, bitcast=True)  # 0x7C-0x7F
    tl.store(out_ptr + 8 + r, e5.to(tl.float32))
    tl.store(out_ptr + 12 + r, e5.to(tl.bfloat16).to(tl.float32))
    e4 = (r * 0 + 127).to(tl.uint8).to(tl.float8e4nv, bitcast=True)
    tl.store(out_ptr + 16 + r, e4.to(tl.float32))
    tl.store(out_ptr + 20 + r, (z * 1.4).to(tl.float8e5, fp_downcast_rounding="rtz").to(tl.float32))
    tl.store(out_ptr + 24 + r, (z * 1.0625).to(tl.float8e4b15).to(tl.float32))
    tl.store(out_ptr + 28 + r, (z * 1e6).to(tl.float16).to(tl.float8e5).to(tl.float32))
    tl.store(out_ptr + 32 + r, tl.full([4], 0.5, tl.float8e4nv).to(tl.float32))  # create_fp_trunc


@triton.jit
def toward_zero(x_ptr, d_ptr, out_ptr):  # cvt.rz: a finite overflow is the largest finite
    r = tl.arange(0, 4)
    x = tl.load(x_ptr + r)
    tl.store(out_ptr + r, x.to(tl.float16, fp_downcast_rounding="rtz").to(tl.float32))
    tl.store(out_ptr + 4 + r, x.to(tl.bfloat16, fp_downcast_rounding="rtz").to(tl.float32))
    d = tl.load(d_ptr + r)
    tl.store(out_ptr + 8 + r, d.to(tl.float32, fp_downcast_rounding="rtz"))


x = torch.tensor([-3.0, -0.5, 2.5, 7.0], dtype=torch.bfloat16)
z = torch.zeros(12)
big = torch.tensor([70000.0, 65519.0, -70000.0, 1.0009766])
toward_zero[(1,)](big, torch.tensor([1e39, -1e39, 1 + 2**-30, float("nan")], dtype=torch.float64), z)
o, i = torch.zeros(60), torch.zeros(4, dtype=torch.int32)
ops[(1,)](x, o, i, 1.0, 1)
f = torch.zeros(18)
fp8[(1,)](f, 1.0)
c = torch.zeros(36)
fp8_convert[(1,)](c, 1.0)
print(json.dumps({"out": o.tolist(), "int": i.tolist(), "fp8": f.tolist(), "fp8_convert": c.tolist(),
                  "toward_zero": z.tolist()}))
"""


def _run(mode, tmp_path, runner=_RUNNER):
    proc = subprocess.run(
        [sys.executable, "-c", runner, mode],
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


nan, inf = float("nan"), float("inf")
# As sm_90 runs what Triton 3.9 compiles: cvt.rn.satfinite (bf16 1000 -> 448, 2^-9 kept, a float16
# inf -> 57344), cvt.rn.f16x2.e5m2x2 (0x7C inf, 0x7D-0x7F NaN) but float8e5 -> bfloat16's bit
# moves (0x7C-0x7F finite), float8e4nv 0x7F NaN, rtz truncating, float8e4b15 ties away from zero.
_FP8_CONVERT = (
    [448.0] * 4 + [2**-9] * 4 + [inf, nan, nan, nan] + [65536.0, 81920.0, 98304.0, 114688.0]
)
_FP8_CONVERT += [nan] * 4 + [1.25] * 4 + [1.125] * 4 + [57344.0] * 4 + [0.5] * 4


def test_downcasts_toward_zero_saturate_as_cvt_rz(fixed):
    f32_max = float(np.finfo(np.float32).max)
    got = fixed["toward_zero"]
    assert got[:4] == [65504.0, 65504.0, -65504.0, 1.0009765625]
    assert got[4:8] == [69632.0, 65280.0, -69632.0, 1.0]
    assert got[8:11] == [f32_max, -f32_max, 1.0] and np.isnan(got[11])


def test_float8_conversions_are_the_gpus(fixed):
    np.testing.assert_array_equal(fixed["fp8_convert"], _FP8_CONVERT)


def test_the_interpreter_alone_computes_on_the_bits(tmp_path):
    natural = _run("natural", tmp_path)
    out = natural["out"]
    assert out[:4] == [1.7014118346046923e38] * 4  # 0x3F80 + 0x3F80 = 0x7F00
    assert out[16:20] != [1.0] * 4  # int(1) -> the bit pattern 1
    assert out != _expected()
    assert natural["fp8"][:4] == [128.0] * 4 and natural["fp8"] != _FP8  # 0x38 + 0x38 = 0x70
    wrong = natural["fp8_convert"]  # wrapped, flushed, read as numbers; 0.5 cast as an integer
    assert wrong[:8] == [256.0] * 4 + [0.0] * 4 and wrong[8] == 65536.0 and wrong[32:] == [0.0] * 4


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


_TORCH8 = {"fp8e4nv": torch.float8_e4m3fn, "fp8e5": torch.float8_e5m2}


@pytest.mark.parametrize("name", _TORCH8)
def test_float8_tables_hold_every_codes_value(name):
    codes = torch.arange(256, dtype=torch.uint8)
    theirs = codes.view(_TORCH8[name]).float().numpy()
    ours = interp_floats.decode8(codes.numpy(), name)
    np.testing.assert_array_equal(ours, theirs)  # NaN where NaN, -0.0 at 0x80
    assert (np.signbit(ours) == np.signbit(theirs)).all()


@pytest.mark.parametrize("name", _TORCH8)
def test_float8_encode_rounds_to_nearest_even_and_saturates(name):
    # torch's float32 -> float8 rounds to nearest even but overflows (e4m3fn to NaN, e5m2 to
    # inf); cvt.rn.satfinite saturates, which is rounding the value clamped to the largest.
    top = float(torch.finfo(_TORCH8[name]).max)
    rng = np.random.default_rng(0)
    f = np.concatenate(
        [
            rng.integers(0, 2**32, 100_000, dtype=np.uint32).view(np.float32),
            (rng.standard_normal(100_000) * top / 4).astype(np.float32),
            (rng.standard_normal(100_000) * 2.0**-8).astype(np.float32),  # subnormals, ties
        ]
    )
    ours = interp_floats.encode8(f, name)
    clamped = torch.from_numpy(np.clip(f, -top, top))
    theirs = clamped.to(_TORCH8[name]).view(torch.uint8).numpy()
    number = ~np.isnan(f)
    assert (ours[number] == theirs[number]).all()
    assert (ours[~number] == 0x7F).all()
    specials = np.array([-0.0, np.inf, -np.inf, 1e30, 2.0**-30], np.float32)
    assert interp_floats.encode8(specials, name).tolist() == [0x80, *_MAXCODE[name], 0]


_MAXCODE = {"fp8e4nv": [0x7E, 0xFE, 0x7E], "fp8e5": [0x7B, 0xFB, 0x7B]}


def test_float8_encode_rounds_a_float64_once():
    # 2^-10 (1 + 2^-40) is the tie between 0 and 2^-9 once in float32, so rounded through it
    # it is 0; rounded once it is 2^-9. float16 sources are exact.
    assert interp_floats.encode8(np.array([2.0**-10 * (1 + 2.0**-40)]), "fp8e4nv").item() == 1
    assert interp_floats.encode8(np.array([2.0**-10]), "fp8e4nv").item() == 0  # a tie: even
    assert interp_floats.encode8(np.array([np.float16(0.001)]), "fp8e4nv").item() == 1


def test_float8e5_toward_zero_truncates_and_keeps_infinity():
    x = np.array([1.4, -1.99, 1e6, np.inf, -np.inf, 2.0**-17, np.nan], np.float32)
    codes = interp_floats.encode8(x, "fp8e5", toward_zero=True)
    assert codes.tolist() == [0x3D, 0xBF, 0x7B, 0x7C, 0xFC, 0, 0x7F]


def test_float8e4b15_is_tritons_bit_moves():
    assert interp_floats.decode8(np.array([0x7F, 0xFF, 0x01, 0x08]), "fp8e4b15").tolist() == [
        1.875,
        -1.875,
        2.0**-17,
        2.0**-14,
    ]
    x = np.array([1.0625, 1.0624, 1.9, np.nan, -np.inf, -0.0, 2.0**-17], np.float32)
    # float16 bits rounded with ties away; clamped to 1.75 (NaN too: min.f16x2 takes the number)
    assert interp_floats.encode8(x, "fp8e4b15").tolist() == [0x79, 0x78, 0x7E, 0x7E, 0xFE, 0x80, 1]


_DEVICE_TEST = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from kernelwright.sandbox import interp_memory
import test_float_conversions_gpu as device_test
if sys.argv[1] == "fixed":
    interp_memory.install()
print(json.dumps(device_test.mismatches("cpu")))
"""


def test_the_device_tests_conversions_run_the_model_on_the_interpreter(tmp_path):
    """tests/test_float_conversions_gpu.py holds a GPU's conversions to this module's model;
    its kernels, interpreted as kernelwright patches the interpreter, give the model exactly
    (and Triton's own interpreter does not: the comparison sees the difference)."""

    def run(mode: str) -> dict:
        proc = subprocess.run(
            [sys.executable, "-c", _DEVICE_TEST, mode],
            capture_output=True,
            text=True,
            cwd=os.path.dirname(__file__),
            env={**os.environ, "TRITON_INTERPRET": "1"},
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    assert run("fixed") == {}
    natural = run("natural")
    assert {"fp8e5 -> float32", "float32 -> fp8e4nv", "bfloat16 -> fp8e5"} <= set(natural)


_ATOMICS = r"""
import json
import torch
import triton
import triton.language as tl
from kernelwright.sandbox import interp_memory
interp_memory.install()


@triton.jit
def add(x_ptr, a_ptr, old_ptr):
    r = tl.arange(0, 8)
    old = tl.atomic_add(a_ptr + r % 2, tl.load(x_ptr + r))  # four lanes at each address
    tl.store(old_ptr + r, old)


x = torch.tensor([1.0, 2.0, 0.5, 256.0, 0.25, 1.0, 0.125, 3.0], dtype=torch.bfloat16)
a, old = torch.zeros(2, dtype=torch.bfloat16), torch.zeros(8, dtype=torch.bfloat16)
add[(1,)](x, a, old)
print(json.dumps({"a": a.float().tolist(), "old": old.float().tolist()}))
"""


def test_bfloat16_atomics_add_lane_by_lane_rounding_each_sum(tmp_path):
    got = _run("fixed", tmp_path, _ATOMICS)
    # Address 0: 1 + 0.5 + 0.25 + 0.125 in lane order, each sum exact; address 1: 2 + 256 is
    # 258, + 1 is 259, a tie bfloat16 (8 bits) rounds to even, 260; + 3 is 263, to 264.
    assert got["a"] == [1.875, 264.0]
    assert got["old"] == [0.0, 0.0, 1.0, 2.0, 1.5, 258.0, 1.75, 260.0]
