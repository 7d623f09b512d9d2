"""The GPU's own float8 and bfloat16 conversions held against the model the interpreter runs
(``interp_floats``: read off Triton's PTX for sm_90, never measured until this runs on one).

Every float8 code decoded to float32, float16 and bfloat16, and float32, float16 and
bfloat16 values encoded to float8 (every float16 and bfloat16 bit pattern; float32 values at
and beside each float8 value and each midpoint between two, and past the largest), by kernels
compiled for the device; a mismatch is listed with the first codes or values that differ, so
a device run says what to change in the model. ``mismatches("cpu")`` under
``TRITON_INTERPRET=1`` runs the same kernels through the interpreter as kernelwright patches
it (``test_interp_floats.py`` holds that to the model too)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import triton
import triton.language as tl

from kernelwright.sandbox import interp_floats

pytestmark = pytest.mark.gpu

BLOCK = 1024
FLOAT8 = {"fp8e4nv": tl.float8e4nv, "fp8e5": tl.float8e5}
WIDE = {"float32": tl.float32, "float16": tl.float16, "bfloat16": tl.bfloat16}
TORCH = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@triton.jit
def _decode(codes_ptr, out_ptr, n, FP8: tl.constexpr, DST: tl.constexpr):
    offs = tl.program_id(0) * 1024 + tl.arange(0, 1024)
    mask = offs < n
    codes = tl.load(codes_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, codes.to(FP8, bitcast=True).to(DST), mask=mask)


@triton.jit
def _encode(x_ptr, out_ptr, n, FP8: tl.constexpr, RTZ: tl.constexpr):
    offs = tl.program_id(0) * 1024 + tl.arange(0, 1024)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    if RTZ:
        y = x.to(FP8, fp_downcast_rounding="rtz")
    else:
        y = x.to(FP8)
    tl.store(out_ptr + offs, y.to(tl.uint8, bitcast=True), mask=mask)


def _launch(kernel, n: int, *args, **constexprs) -> str | None:
    """None, or why the kernel did not run (another Triton may not compile a conversion: said,
    and the other conversions still run)."""
    try:
        kernel[(triton.cdiv(n, BLOCK),)](*args, n, **constexprs)
    except Exception as e:  # the compiler's or the driver's error, whatever its class
        return f"did not run: {type(e).__name__}: {str(e)[:300]}"
    return None


def _float32_values() -> np.ndarray:
    """Each float8 type's finite values and midpoints, one float32 ulp either side of each,
    past the largest, infinities, NaN and signed zeros."""
    points = [np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 2.0**-149])]
    for name in FLOAT8:
        table = interp_floats.decode8(np.arange(256, dtype=np.uint8), name).astype(np.float64)
        finite = np.unique(table[np.isfinite(table)])
        mids = (finite[:-1] + finite[1:]) / 2
        for v in np.concatenate([finite, mids, finite * 1.5]).astype(np.float32):
            points.append(np.float32([v, np.nextafter(v, np.inf), np.nextafter(v, -np.inf)]))
    return np.concatenate(points)


def _sources() -> dict[str, torch.Tensor]:
    every16 = torch.arange(2**16, dtype=torch.int32).to(torch.int16)
    return {
        "float32": torch.from_numpy(_float32_values()),
        "float16": every16.view(torch.float16),
        "bfloat16": every16.view(torch.bfloat16),
    }


def _differ(got: np.ndarray, want: np.ndarray, inputs: np.ndarray) -> str | None:
    """None where every result is the model's (NaN where NaN, sign bits included)."""
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    same = (got64 == want64) & (np.signbit(got64) == np.signbit(want64))
    same |= np.isnan(got64) & np.isnan(want64)
    if same.all():
        return None
    bad = np.flatnonzero(~same)[:6]
    shown = ", ".join(f"{inputs[i]!r}: {got[i]!r} (model {want[i]!r})" for i in bad)
    return f"{(~same).sum()} of {same.size} differ, e.g. {shown}"


def mismatches(device: str) -> dict[str, str]:
    """Each conversion whose results are not the model's -> what differs."""
    found: dict[str, str] = {}
    codes = torch.arange(256, dtype=torch.int32).to(torch.uint8).to(device)
    for name, fp8 in FLOAT8.items():
        for dst, ty in WIDE.items():
            out = torch.empty(256, dtype=TORCH[dst], device=device)
            failed = _launch(_decode, 256, codes, out, FP8=fp8, DST=ty)
            if failed:
                found[f"{name} -> {dst}"] = failed
                continue
            want = torch.from_numpy(
                interp_floats.decode8(codes.cpu().numpy(), name, to_bf16=dst == "bfloat16")
            ).to(TORCH[dst])
            why = _differ(out.float().cpu().numpy(), want.float().numpy(), np.arange(256))
            if why:
                found[f"{name} -> {dst}"] = why
        for src, x in _sources().items():
            for rtz in (False, True):
                if rtz and (name, src) != ("fp8e5", "float32"):
                    continue  # the only toward-zero conversion sm_90 compiles
                x_dev = x.to(device)
                out = torch.empty(x.numel(), dtype=torch.uint8, device=device)
                what = f"{src} -> {name}{' (rtz)' if rtz else ''}"
                failed = _launch(_encode, x.numel(), x_dev, out, FP8=fp8, RTZ=rtz)
                if failed:
                    found[what] = failed
                    continue
                values = x.float().numpy() if src == "bfloat16" else x.numpy()
                want = interp_floats.encode8(values, name, toward_zero=rtz)
                why = _differ(out.cpu().numpy(), want, values)
                if why:
                    found[what] = why
    return found


def test_float8_conversions_on_the_device_are_the_interpreters():
    assert torch.cuda.is_available()
    assert mismatches("cuda") == {}
