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

Not done: float8 (stored as ``np.uint8``). Triton's semantic layer computes two float8
operands of one type in that type (``computation_type_impl``, rule 6), so ``a + b`` or
``a < b`` on float8 runs on the interpreter's integers the same way; ``tl.dot`` and every
conversion decode float8 first (``_convert_float``), and those paths are right.
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
    """Patch the interpreter builder's bfloat16 paths, once per process (interpreter only)."""
    global _installed
    if _installed:
        return
    import triton.language as tl
    from triton.runtime import interpreter as interp

    builder, handle, reduce_ops = interp.InterpreterBuilder, interp.TensorHandle, interp.ReduceOps
    bf16 = tl.bfloat16

    def is_bf16(h: Any) -> bool:
        return getattr(getattr(h, "dtype", None), "scalar", None) == bf16

    def f32(h: Any) -> Any:
        return handle(decode(h.data), tl.float32) if is_bf16(h) else h

    binary_op = builder.binary_op

    def bf16_binary_op(self: Any, lhs: Any, rhs: Any, op: Any) -> Any:
        if op not in _BINARY or not (is_bf16(lhs) or is_bf16(rhs)):
            return binary_op(self, lhs, rhs, op)
        with np.errstate(all="ignore"):
            out = op(f32(lhs).data, f32(rhs).data)
        if out.dtype == np.bool_:
            return handle(out, lhs.dtype.scalar)
        return handle(encode(out), bf16)

    unary_op = builder.unary_op

    def bf16_unary_op(self: Any, arg: Any, op: Any) -> Any:
        if not is_bf16(arg):
            return unary_op(self, arg, op)
        if op is np.negative:  # the sign bit flipped, as ``neg.bf16`` (NaN kept)
            return handle(arg.data ^ np.uint16(0x8000), bf16)
        with np.errstate(all="ignore"):
            return handle(encode(op(decode(arg.data))), bf16)

    ternary_op = builder.ternary_op

    def bf16_ternary_op(self: Any, lhs: Any, rhs: Any, other: Any, op: Any) -> Any:
        if op is np.where or not is_bf16(other):  # a select moves bits: right as it is
            return ternary_op(self, lhs, rhs, other, op)
        with np.errstate(all="ignore"):
            out = op(f32(lhs).data, f32(rhs).data, f32(other).data)
        return handle(encode(out), bf16)

    cast_impl = builder.cast_impl

    def bf16_cast_impl(self: Any, src: Any, dst_type: Any) -> Any:
        s, d = src.dtype.scalar, dst_type.scalar
        if (s != bf16 and d != bf16) or s == d or _float8(s) or _float8(d):
            return cast_impl(self, src, dst_type)
        x = decode(src.data) if s == bf16 else src.data
        if d == bf16:
            return handle(encode(x), bf16)
        with np.errstate(all="ignore"):
            return handle(x.astype(interp._get_np_dtype(d)), d)

    fma = builder.create_fma

    def bf16_fma(self: Any, x: Any, y: Any, z: Any) -> Any:
        if not is_bf16(z):
            return fma(self, x, y, z)
        a, b, c = (f32(h).data.astype(np.float64) for h in (x, y, z))
        return handle(encode(a * b + c), bf16)  # the product is exact in float64

    dot = builder.create_dot

    def bf16_dot(self: Any, a: Any, b: Any, d: Any, input_precision: Any, max_num: Any) -> Any:
        if not (is_bf16(a) or is_bf16(b) or is_bf16(d)):
            return dot(self, a, b, d, input_precision, max_num)
        out = dot(self, f32(a), f32(b), f32(d), input_precision, max_num)
        if is_bf16(d):
            return handle(encode(out.data), bf16)
        return out

    min_max = reduce_ops.min_max

    def bf16_min_max(self: Any, input: Any, val_reduce_op: Any, idx_reduce_op: Any = None) -> Any:
        t = input[0] if isinstance(input, tuple) else input
        if t.dtype.scalar != bf16:
            return min_max(self, input, val_reduce_op, idx_reduce_op)
        values = self.to_tensor(decode(t.handle.data), tl.float32)
        out = min_max(self, values, val_reduce_op, idx_reduce_op)
        outs = out if isinstance(out, tuple) else (out,)
        if val_reduce_op is not None:
            outs = (_bf16_tensor(self, outs[0], bf16), *outs[1:])
        return outs if isinstance(out, tuple) else outs[0]

    def summed(natural: Any) -> Any:
        """``tl.sum``/``tl.cumsum``/``tl.cumprod`` of bfloat16 (Triton keeps a float type; only
        integers are widened): in float32, rounded once, as NumPy's own float16 sum."""

        def op(self: Any, input: Any) -> Any:
            if input.dtype.scalar != bf16:
                return natural(self, input)
            out = natural(self, self.to_tensor(decode(input.handle.data), tl.float32))
            outs = [_bf16_tensor(self, o, bf16) for o in (out if isinstance(out, list) else [out])]
            return outs if isinstance(out, list) else outs[0]

        return op

    reduce_ops.sum = summed(reduce_ops.sum)
    interp.ScanOps.cumsum = summed(interp.ScanOps.cumsum)
    interp.ScanOps.cumprod = summed(interp.ScanOps.cumprod)
    builder.binary_op = bf16_binary_op
    builder.unary_op = bf16_unary_op
    builder.ternary_op = bf16_ternary_op
    builder.cast_impl = bf16_cast_impl
    builder.create_fma = bf16_fma
    builder.create_dot = bf16_dot
    reduce_ops.min_max = bf16_min_max
    _installed = True


def _float8(t: Any) -> bool:
    return bool(t.is_floating()) and t.primitive_bitwidth == 8


def _bf16_tensor(ops: Any, t: Any, bf16: Any) -> Any:
    """A reduction's float32 result ``t`` as bfloat16 (rounded), a scalar kept one."""
    bits = encode(t.handle.data)
    return ops.to_tensor(bits if t.type.is_block() else bits.reshape(-1)[0], bf16)
