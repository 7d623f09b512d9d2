"""bfloat16 in Triton's CPU interpreter, computed as a GPU computes it.

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

float8 (stored as ``np.uint8``) likewise: Triton's semantic layer computes two float8
operands of one type in that type (``computation_type_impl``, rule 6), so ``a + b`` or ``a < b``
ran on the interpreter's integers (1.0 + 1.0 in float8e4nv was 128.0); each such op now
decodes its operands as the interpreter's own ``tl.dot`` does (through float16, exact),
computes in float32 and converts back with the interpreter's own float32 -> float8 conversion
(to nearest). Conversions to and from float8 and ``tl.dot`` already decode, and stay as they are.
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
    rtne = interp._ir.ROUNDING_MODE.RTNE

    def stored_as_bits(t: Any) -> bool:
        return t == bf16 or _float8(t)

    def narrow(h: Any) -> Any:
        """The handle's type if the interpreter stores it as bits (bfloat16, float8), else None."""
        t = getattr(getattr(h, "dtype", None), "scalar", None)
        return t if t is not None and stored_as_bits(t) else None

    def values(data: np.ndarray, t: Any) -> np.ndarray:
        if t == bf16:
            return decode(data)
        # float8 as the interpreter's own tl.dot decodes it: through float16 (exact)
        f16 = interp._convert_float(np.ascontiguousarray(data), t, tl.float16, None)
        return f16.view(np.float16).astype(np.float32)

    def stored(x: np.ndarray, t: Any) -> np.ndarray:
        if t == bf16:
            return encode(x)
        # float8: the interpreter's own float32 -> float8 conversion, to nearest
        f = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
        return interp._convert_float(f, tl.float32, t, rtne).view(np.uint8).reshape(f.shape)

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

    def bf16_cast_impl(self: Any, src: Any, dst_type: Any) -> Any:
        # float8 conversions are create_fp_to_fp's (_convert_float), not this
        s, d = src.dtype.scalar, dst_type.scalar
        if (s != bf16 and d != bf16) or s == d or _float8(s) or _float8(d):
            return cast_impl(self, src, dst_type)
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
    builder.cast_impl = bf16_cast_impl
    builder.create_fma = narrow_fma
    builder.create_dot = bf16_dot
    reduce_ops.min_max = narrow_min_max
    _installed = True


def _float8(t: Any) -> bool:
    return bool(t.is_floating()) and t.primitive_bitwidth == 8
