"""bfloat16 and float8 in Triton's CPU interpreter, computed as a GPU computes them.

The interpreter stores a bfloat16 as its bits in an ``np.uint16`` (``_get_np_dtype``), and
most of its builder runs NumPy on those integers as they are: ``create_fadd`` of 1.0 and 1.0
is 0x3F80 + 0x3F80 = 0x7F00 (1.7e38), a compare orders the bit patterns (every negative
above every positive), ``-x`` is 65536 - bits, ``int(1).to(bf16)`` is the bit pattern 1
(9e-41), ``tl.dot`` multiplies the integers, argmax compares them, and ``float32 -> bf16``
truncates where ``cvt.rn.bf16.f32`` rounds to nearest even. That is not one legal execution
among others (``semantics.py``) but the interpreter being wrong: a kernel gated on it passes
every interpreted check and stores zeros on a GPU. So, in every run of the interpreter (the
candidate's trials and every replay: ``interp_memory.install``, which both the zygote and the
replay call, installs this too), each bfloat16 op decodes its operands to float32 (exact),
computes there, and rounds the result to bfloat16 to nearest even (NaN stays NaN); compares
compare the values; conversions to bfloat16 from any type round once, correctly (from float64
and integers through float32 rounded to odd), and from bfloat16 go through its float32 value.
A bfloat16 add, multiply, divide or square root rounded from float32 is the correctly rounded
result (float32 carries more than twice bfloat16's 8 bits), which is what ``add.rn.bf16`` or
an upcast, an f32 op and ``cvt.rn.bf16.f32`` give.

float8 (stored as ``np.uint8``): each conversion to or from float8 is the one sm_90 runs, as
Triton 3.9 compiles it (read off its PTX), in every run: the interpreter's ``_convert_float`` did
bit arithmetic that wrapped the exponent past the largest finite value (1000 -> 256 where
``cvt.rn.satfinite`` gives 448), flushed float8 subnormals (0.001 -> 0, not 2^-9) and read the
float8e5 inf and NaN codes and float8e4nv's NaN as finite numbers. Patched there, it serves every
caller (``create_fp_to_fp``, ``tl.dot``'s decode, the arithmetic here), and ``cast_impl`` (a float8
constant: ``create_fp_trunc``, which cast 0.5 with ``astype(np.uint8)`` to the code 0) and
``tl.dot_scaled``'s decode (sm_90 upcasts its float8 operands to bfloat16) are routed to it:

- decode: a 256-entry table of exact values per type. float8e4nv (e4m3fn: no inf, 0x7F/0xFF NaN,
  largest 448) and float8e5 (e5m2: the top byte of a float16, inf and NaN included) decode with
  ``cvt.rn.f16x2.e4m3x2``/``e5m2x2``; float8e4b15 with Triton's bit moves
  (``convert_fp8e4b15_to_float16``: a float16 whose exponent is below 16, no inf or NaN, 0x7F is
  1.875). One exception: float8e5 -> bfloat16 is lowered to bit moves and a multiply by 2^112, which
  read 0x7C-0x7F as 65536, 81920, 98304, 114688 (signed alike), not inf and NaN; that is what the
  GPU stores, so it is what this stores.
- encode, float8e4nv and float8e5: ``cvt.rn.satfinite.{e4m3,e5m2}x2.{f32,f16x2}`` (bfloat16 is
  first widened to float32, exactly): round to nearest even, a magnitude past the largest finite
  value (infinity too) saturates to it, NaN is 0x7F, -0.0 keeps its sign. ``fp_downcast_rounding=
  "rtz"`` compiles for float32 -> float8e5 alone (``cvt.rz.f16.f32``, then the float16's top
  byte): toward zero, a finite overflow the largest value, inf stays inf.
- ``fp_downcast_rounding="rtz"`` between IEEE types (float64 or float32 to float32, float16 or
  bfloat16): ``cvt.rz``, IEEE rounding toward zero, a finite overflow the largest finite value
  (Triton's own bit arithmetic made float32 70000.0 a float16 NaN, 65536.0 an inf).
- encode, float8e4b15: Triton's ``convert_float16_to_fp8e4b15`` whatever the rounding asked
  (float32 first to float16 toward zero): the magnitude's float16 bits clamped to 1.75
  (``min.f16x2``: NaN and inf also become 1.75), rounded to nearest with ties away from zero.

Not compiled for sm_90 by Triton 3.9, and so refused by a target's compile, not here: float64 <->
float8 (this rounds float64 once, with no float32 in between), float8 -> float8, ``rtz`` other than
float32 -> float8e5 (computed as toward zero all the same), bfloat16 -> float8e4b15, and float8
arithmetic (``llvm.fadd`` on i8). float8e4b8 and float8e5b16 (the fnuz types) are refused for sm_90
("not supported in this architecture"); what MI300's conversions do with them (saturation,
rounding) was not established here, so they keep the interpreter's own ``_convert_float``.

Two float8 operands of one type compute in that type (``computation_type_impl``, rule 6), so
``a + b`` or ``a < b`` ran on the interpreter's integers (1.0 + 1.0 in float8e4nv was 128.0); each
such op now decodes its operands, computes in float32 and encodes the result as a conversion does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_installed = False

# Binary ops on floats that the interpreter runs on the stored data (``binary_op``).
_BINARY = {
    np.add,
    np.subtract,
    np.multiply,
    np.divide,
    np.fmod,
    np.minimum,
    np.maximum,
    np.fmin,
    np.fmax,
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.equal,
    np.not_equal,
}


def decode(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bits (uint16) -> their float32 values (exact)."""
    return (np.asarray(bits).astype(np.uint32) << np.uint32(16)).view(np.float32)


def encode(x: np.ndarray) -> np.ndarray:
    """Any numbers -> bfloat16 bits, rounded once to nearest even (NaN a quiet NaN)."""
    x = np.asarray(x)
    if x.dtype == np.bool_ or x.dtype.kind in "iu" or x.dtype == np.float64:
        x = _to_odd_float32(x.astype(np.float64))
    f = np.ascontiguousarray(x, dtype=np.float32)
    bits = f.view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)
    nan = (bits >> np.uint32(16)) | np.uint32(0x0040)
    return np.where(np.isnan(f), nan, rounded).astype(np.uint16)


def _to_odd_float32(x: np.ndarray) -> np.ndarray:
    """float64 -> float32 rounded to odd (truncated, the last bit set if inexact): rounding
    that to bfloat16 to nearest even is the float64 value rounded once."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = x.astype(np.float32)
        back = r.astype(np.float64)
        inexact = np.isfinite(x) & (back != x)
        toward_zero = np.where(np.abs(back) > np.abs(x), np.nextafter(r, np.float32(0)), r).astype(
            np.float32
        )
    bits = np.ascontiguousarray(toward_zero).view(np.uint32)
    odd = np.where(inexact, bits | np.uint32(1), bits).view(np.float32)
    return np.where(inexact, odd, r).astype(np.float32)


def _e4m3fn_values() -> np.ndarray:
    codes = np.arange(256)
    exp, man = (codes >> 3) & 0xF, (codes & 7).astype(np.float64)
    mag = np.where(exp == 0, np.ldexp(man / 8, -6), np.ldexp(1 + man / 8, exp - 7))
    mag = np.where((codes & 0x7F) == 0x7F, np.nan, mag)
    return np.where(codes & 0x80, -mag, mag).astype(np.float32)


def _as_float16(bits: np.ndarray) -> np.ndarray:
    return bits.astype(np.uint16).view(np.float16).astype(np.float32)


_CODES = np.arange(256, dtype=np.uint16)
# IEEE widths by ``tl.dtype.name`` (bfloat16 a float32 cut short), and NumPy's types for them.
_IEEE = {"fp64": 64, "fp32": 32, "fp16": 16, "bf16": 16}
_IEEE_TYPE = {"fp64": np.float64, "fp32": np.float32, "fp16": np.float16}

# Each float8 type's value of every code (float32, exact), by ``tl.dtype.name``.
_DECODE = {
    "fp8e4nv": _e4m3fn_values(),
    "fp8e5": _as_float16(_CODES << 8),
    "fp8e4b15": _as_float16(((_CODES & 0x80) << 8) | ((_CODES & 0x7F) << 7)),
}


def _e5m2_read_as_normal() -> np.ndarray:
    """float8e5 -> bfloat16's bit moves: codes 0x7C-0x7F read with a normal exponent of 16."""
    out = _DECODE["fp8e5"].copy()
    top = (_CODES & 0x7C) == 0x7C
    sign = np.where(_CODES[top] & 0x80, -1.0, 1.0)
    out[top] = sign * np.ldexp(1 + (_CODES[top] & 3) / 4, 16)
    return out


_E5_TO_BF16 = _e5m2_read_as_normal()
# Round to nearest on each satfinite type's grid: its finite magnitudes (code = index) and the
# midpoints above them (none above the largest: a saturated magnitude stays there).
_GRID = {
    name: _DECODE[name][:end].astype(np.float64)
    for name, end in (("fp8e4nv", 0x7F), ("fp8e5", 0x7C))
}
_MIDPOINT = {name: np.append((g[:-1] + g[1:]) / 2, np.inf) for name, g in _GRID.items()}
_NAN8 = np.uint8(0x7F)
# The types (``tl.dtype.name``) the interpreter stores as their bits.
_FLOAT8 = {"fp8e4nv", "fp8e5", "fp8e4b15", "fp8e4b8", "fp8e5b16"}
_NARROW = _FLOAT8 | {"bf16"}


def _bf16_atomics(natural: Any, interp: Any, narrow: Any) -> Any:
    """``tl.atomic_add`` on bfloat16 (``atom.add.noftz.bf16`` on sm_90), which the
    interpreter's C++ refuses ("Unsupported data type"): lane by lane, in order, the old value
    returned, each sum rounded to bfloat16 once. Other types and ops are its own."""
    import ctypes

    ops = interp._ir.ATOMIC_OP
    done = {ops.FADD: lambda a, b: encode(decode(a) + decode(b))}

    def atomic_rmw(self: Any, op: Any, ptr: Any, val: Any, mask: Any, sem: Any, scope: Any):
        t = narrow(val)
        if t is None or t.name != "bf16" or op not in done:
            return natural(self, op, ptr, val, mask, sem, scope)
        shape = np.broadcast_shapes(np.shape(ptr.data), np.shape(val.data), np.shape(mask.data))
        addrs = np.broadcast_to(ptr.data, shape).reshape(-1)
        vals = np.broadcast_to(val.data, shape).reshape(-1)
        active = np.broadcast_to(mask.data, shape).reshape(-1)
        old = np.zeros(addrs.size, dtype=np.uint16)
        for i in np.flatnonzero(active):
            cell = ctypes.c_uint16.from_address(int(addrs[i]))
            old[i] = cell.value
            cell.value = int(done[op](old[i : i + 1], vals[i : i + 1])[0])
        return interp.TensorHandle(old.reshape(shape), t)

    return atomic_rmw


def decode8(bits: np.ndarray, name: str, to_bf16: bool = False) -> np.ndarray:
    """float8 codes -> their float32 values as sm_90 decodes them (``to_bf16``: for a
    bfloat16 result)."""
    table = _E5_TO_BF16 if to_bf16 and name == "fp8e5" else _DECODE[name]
    return table[np.asarray(bits).astype(np.uint8, copy=False)]


def encode8(x: np.ndarray, name: str, toward_zero: bool = False) -> np.ndarray:
    """Float values (float16, float32 or float64) -> float8 codes as sm_90 converts them."""
    x = np.asarray(x)
    if name == "fp8e4b15":
        return _encode_e4b15(x)
    grid = _GRID[name]
    with np.errstate(invalid="ignore"):  # a signalling NaN
        a = np.abs(x.astype(np.float64))
    nan, inf = np.isnan(a), np.isinf(a)
    a = np.where(nan, 0.0, np.minimum(a, grid[-1]))
    low = np.searchsorted(grid, a, side="right") - 1
    if not toward_zero:
        mid = _MIDPOINT[name][low]
        low = low + ((a > mid) | ((a == mid) & (low % 2 == 1)))
    elif name == "fp8e5":
        low = np.where(inf, 0x7C, low)
    codes = low.astype(np.uint8) | (np.signbit(x).astype(np.uint8) << np.uint8(7))
    return np.where(nan, _NAN8, codes)


def _encode_e4b15(x: np.ndarray) -> np.ndarray:
    if x.dtype != np.float16:  # cvt.rz.f16.f32: to nearest, then one step back if that was away
        with np.errstate(over="ignore", invalid="ignore"):
            r = x.astype(np.float16)
            x = np.where(np.abs(r) > np.abs(x), np.nextafter(r, np.float16(0)), r)
    bits = np.ascontiguousarray(x, dtype=np.float16).view(np.uint16)
    mag = bits & np.uint16(0x7FFF)
    mag = np.where(mag > 0x7C00, np.uint16(0x3F00), np.minimum(mag, np.uint16(0x3F00)))
    return (((mag + np.uint16(0x40)) >> np.uint16(7)) | ((bits >> np.uint16(8)) & 0x80)).astype(
        np.uint8
    )


def install() -> None:
    """Patch the interpreter builder's bfloat16 and float8 paths, once per process (interpreter
    only)."""
    global _installed
    if _installed:
        return
    import triton.language as tl
    from triton.runtime import interpreter as interp

    builder, handle, reduce_ops = interp.InterpreterBuilder, interp.TensorHandle, interp.ReduceOps
    bf16 = tl.bfloat16
    rtne, rtz = interp._ir.ROUNDING_MODE.RTNE, interp._ir.ROUNDING_MODE.RTZ

    def stored_as_bits(t: Any) -> bool:
        return t.name in _NARROW

    def narrow(h: Any) -> Any:
        """The handle's type if the interpreter stores it as bits (bfloat16, float8), else None."""
        t = getattr(getattr(h, "dtype", None), "scalar", None)
        return t if t is not None and stored_as_bits(t) else None

    def values(data: np.ndarray, t: Any) -> np.ndarray:
        if t == bf16:
            return decode(data)
        return convert_float(np.ascontiguousarray(data), t, tl.float32, rtne).view(np.float32)

    def stored(x: np.ndarray, t: Any) -> np.ndarray:
        if t == bf16:
            return encode(x)
        x = np.asarray(x)  # float64 (an fma's exact product) is rounded once
        return convert_float(x, tl.float64 if x.dtype == np.float64 else tl.float32, t, rtne)

    natural_convert_float = interp._convert_float

    def toward_zero(x: np.ndarray, d: str) -> np.ndarray:
        """``cvt.rz``: IEEE rounding toward zero, a finite overflow the largest finite value
        (Triton's own bit arithmetic gave NaN or inf past float16's largest)."""
        if d == "bf16":
            f = x.astype(np.float32)  # exact for a float16 or float32 source
            with np.errstate(all="ignore"):
                back = f.astype(x.dtype)
            f = np.where(np.abs(back) > np.abs(x), np.nextafter(f, np.float32(0)), f)
            bits = (np.ascontiguousarray(f).view(np.uint32) >> 16).astype(np.uint16)
            return np.where(np.isnan(f), np.uint16(0x7FC0), bits)
        t = _IEEE_TYPE[d]
        with np.errstate(all="ignore"):
            y = x.astype(t)
            away = np.abs(y.astype(x.dtype)) > np.abs(x)
        y = np.where(away, np.nextafter(y, t(0)), y)
        return np.ascontiguousarray(y).view(f"u{np.dtype(t).itemsize}")

    def convert_float(data: Any, src: Any, dst: Any, rounding_mode: Any) -> np.ndarray:
        s, d = src.name, dst.name
        if rounding_mode == rtz and s in _IEEE_TYPE and d in _IEEE and _IEEE[d] < _IEEE[s]:
            return toward_zero(np.asarray(data).view(_IEEE_TYPE[s]), d)
        if s not in _DECODE and d not in _DECODE:
            return natural_convert_float(data, src, dst, rounding_mode)
        data = np.asarray(data)
        if s in _DECODE:
            x = decode8(data, s, to_bf16=d == "bf16")
        else:
            x = decode(data) if s == "bf16" else data
        if d in _DECODE:
            return encode8(x, d, toward_zero=rounding_mode == rtz)
        if d == "bf16":
            return encode(x)  # exact: every float8 value is a bfloat16
        return x.astype(interp._get_np_dtype(dst)).view(f"u{dst.primitive_bitwidth // 8}")

    mxfp_natural = interp._mxfp_value_handle_to_float32

    def mxfp_values(value_handle: Any) -> np.ndarray:
        """``tl.dot_scaled``'s float8 operand: sm_90 has no scaled float8 MMA and upcasts it to
        bfloat16, float8e5 with the bit moves that read 0x7C-0x7F as numbers."""
        name = value_handle.dtype.name
        if name not in _DECODE:
            return mxfp_natural(value_handle)
        return decode8(value_handle.data, name, to_bf16=True)

    def f32(h: Any) -> Any:
        t = narrow(h)
        return handle(values(h.data, t), tl.float32) if t is not None else h

    def as_stored(ops: Any, r: Any, t: Any) -> Any:
        """A reduction's float32 result ``r`` stored as ``t`` (rounded), a scalar kept one."""
        bits = stored(r.handle.data, t)
        return ops.to_tensor(bits if r.type.is_block() else bits.reshape(-1)[0], t)

    binary_op = builder.binary_op

    def narrow_binary_op(self: Any, lhs: Any, rhs: Any, op: Any) -> Any:
        t = narrow(lhs) or narrow(rhs)
        if op not in _BINARY or t is None:
            return binary_op(self, lhs, rhs, op)
        with np.errstate(all="ignore"):
            out = op(f32(lhs).data, f32(rhs).data)
        if out.dtype == np.bool_:
            return handle(out, lhs.dtype.scalar)
        return handle(stored(out, t), t)

    unary_op = builder.unary_op

    def narrow_unary_op(self: Any, arg: Any, op: Any) -> Any:
        t = narrow(arg)
        if t is None:
            return unary_op(self, arg, op)
        if op is np.negative and t == bf16:  # the sign bit flipped, as ``neg.bf16`` (NaN kept)
            return handle(arg.data ^ np.uint16(0x8000), bf16)
        with np.errstate(all="ignore"):
            return handle(stored(op(values(arg.data, t)), t), t)

    ternary_op = builder.ternary_op

    def narrow_ternary_op(self: Any, lhs: Any, rhs: Any, other: Any, op: Any) -> Any:
        t = narrow(other)
        if op is np.where or t is None:  # a select moves bits: right as it is
            return ternary_op(self, lhs, rhs, other, op)
        with np.errstate(all="ignore"):
            out = op(f32(lhs).data, f32(rhs).data, f32(other).data)
        return handle(stored(out, t), t)

    cast_impl = builder.cast_impl

    def narrow_cast_impl(self: Any, src: Any, dst_type: Any) -> Any:
        s, d = src.dtype.scalar, dst_type.scalar
        if s == d or (s.name not in _NARROW and d.name not in _NARROW):
            return cast_impl(self, src, dst_type)
        if s.name in _FLOAT8 or d.name in _FLOAT8:
            # a float8 constant (scalar_constant: get_fp32 + create_fp_trunc) was cast
            # with astype(np.uint8): 0.5 became the code 0
            data = convert_float(src.data, s, d, rtne)
            return handle(data.view(interp._get_np_dtype(d)), d)
        x = decode(src.data) if s == bf16 else src.data
        if d == bf16:
            return handle(encode(x), bf16)
        with np.errstate(all="ignore"):
            return handle(x.astype(interp._get_np_dtype(d)), d)

    fma = builder.create_fma

    def narrow_fma(self: Any, x: Any, y: Any, z: Any) -> Any:
        t = narrow(z)
        if t is None:
            return fma(self, x, y, z)
        a, b, c = (f32(h).data.astype(np.float64) for h in (x, y, z))
        return handle(stored(a * b + c, t), t)  # the product is exact in float64

    dot = builder.create_dot

    def bf16_dot(self: Any, a: Any, b: Any, d: Any, input_precision: Any, max_num: Any) -> Any:
        # the interpreter's own dot decodes float8 operands
        if bf16 not in (narrow(a), narrow(b), narrow(d)):
            return dot(self, a, b, d, input_precision, max_num)
        out = dot(self, f32(a), f32(b), f32(d), input_precision, max_num)
        if narrow(d) is not None:
            return handle(stored(out.data, narrow(d)), narrow(d))
        return out

    min_max = reduce_ops.min_max

    def narrow_min_max(self: Any, input: Any, val_reduce_op: Any, idx_reduce_op: Any = None) -> Any:
        r = input[0] if isinstance(input, tuple) else input
        t = r.dtype.scalar
        if not stored_as_bits(t):
            return min_max(self, input, val_reduce_op, idx_reduce_op)
        out = min_max(
            self, self.to_tensor(values(r.handle.data, t), tl.float32), val_reduce_op, idx_reduce_op
        )
        outs = out if isinstance(out, tuple) else (out,)
        if val_reduce_op is not None:
            outs = (as_stored(self, outs[0], t), *outs[1:])
        return outs if isinstance(out, tuple) else outs[0]

    def summed(natural: Any) -> Any:
        """``tl.sum``/``tl.cumsum``/``tl.cumprod`` of bfloat16 or float8 (Triton keeps a float
        type; only integers are widened): in float32, rounded once, as NumPy's own float16 sum."""

        def op(self: Any, input: Any) -> Any:
            t = input.dtype.scalar
            if not stored_as_bits(t):
                return natural(self, input)
            out = natural(self, self.to_tensor(values(input.handle.data, t), tl.float32))
            outs = [as_stored(self, o, t) for o in (out if isinstance(out, list) else [out])]
            return outs if isinstance(out, list) else outs[0]

        return op

    reduce_ops.sum = summed(reduce_ops.sum)
    interp.ScanOps.cumsum = summed(interp.ScanOps.cumsum)
    interp.ScanOps.cumprod = summed(interp.ScanOps.cumprod)
    builder.binary_op = narrow_binary_op
    builder.unary_op = narrow_unary_op
    builder.ternary_op = narrow_ternary_op
    builder.cast_impl = narrow_cast_impl
    builder.create_fma = narrow_fma
    builder.create_dot = bf16_dot
    builder.create_atomic_rmw = _bf16_atomics(builder.create_atomic_rmw, interp, narrow)
    reduce_ops.min_max = narrow_min_max
    interp._convert_float = convert_float
    interp._mxfp_value_handle_to_float32 = mxfp_values
    _installed = True
