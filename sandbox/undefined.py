"""Operations whose compiled result is undefined, refused in the trusted replay on the interpreter.

The interpreter gives each of these one fixed answer; a GPU's compiled kernel gives another, or
any: a kernel that gates its output on that answer passes every interpreted check and is wrong
on the GPU. While ``Undefined`` is open (one launch), it refuses, naming the kernel's line:

- several active lanes of ONE store, atomic store or ``atomic_xchg`` writing DIFFERENT values
  to one address. The interpreter writes the lanes in order (the last one stays); on a GPU
  they are different threads, and which one's value stays is unspecified. Lanes writing the
  same value (a reduction's scalar broadcast to a block of pointers) are legitimate;
- an integer division or remainder by zero in any lane, masked or not: LLVM's ``sdiv``/``udiv``
  /``srem``/``urem`` by zero is undefined behaviour (PTX ``div.s32`` by zero gives an
  unspecified value), the interpreter's NumPy gives 0;
- an integer shift (``<<``, ``>>``) by an amount outside 0 to the width minus one, in any lane:
  LLVM's ``shl``/``lshr``/``ashr`` give poison there (a constant amount folds the whole result
  away, and the PTX stores registers never written), NumPy gives 0 or the sign.

Vectorised: one store costs a comparison of neighbouring addresses (lanes in increasing order
never repeat one); only a store whose addresses are not increasing is sorted. A division costs
one ``any`` over its divisor.

Not seen: lanes of one ``atomic_cas`` (each compares before it swaps: an order the interpreter
fixes too; two stores of different lanes are ``lane_races.py``'s), and anything on a GPU, where
the replay runs compiled kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel

from kernelwright.sandbox import interp_memory
from kernelwright.sandbox.hints import _frame


class UndefinedRecord(BaseModel):
    kernel: str
    line: int | None = None
    code: str | None = None
    what: str  # what the line did, as the candidate reads it

    def message(self) -> str:
        at = f", line {self.line}" if self.line is not None else ""
        code = f" (`{self.code}`)" if self.code else ""
        return (
            f"kernel {self.kernel}{at}{code}: {self.what}. The interpreter gives this one fixed "
            "result; a GPU's compiled kernel gives an unspecified one, so the outputs this "
            "replay computed are not the GPU's."
        )


class UndefinedOp(interp_memory.Refusal):
    field = "undefined"
    record: UndefinedRecord


LANES = (
    "lanes of one {op} write different values to one address (at {n} of its addresses): "
    "on a GPU which lane's value stays is unspecified"
)
DIVISION = (
    "an integer {op} by zero ({n} lanes): undefined on a GPU (LLVM's {ir} by zero), "
    "the interpreter gives 0"
)
SHIFT = (
    "an integer shift by {what} ({n} lanes): undefined on a GPU (LLVM's {ir} by an amount "
    "outside 0 to the width minus one is poison; the compiled code stores whatever a register "
    "held), the interpreter gives NumPy's answer"
)
_SHIFTS = {"create_shl": "shl", "create_lshr": "lshr", "create_ashr": "ashr"}
_DIVISIONS = {
    "create_sdiv": ("division", "sdiv"),
    "create_udiv": ("division", "udiv"),
    "create_srem": ("remainder", "srem"),
    "create_urem": ("remainder", "urem"),
}


class Undefined:
    """While open (one launch), the interpreter's stores, exchanges and integer divisions are
    checked before they run; the first undefined one stops the launch (``violation``)."""

    def __init__(self, kernel: str, file: str, lines: list[str] | None = None):
        self.kernel = kernel
        self.file = file
        self.lines = lines
        self.violation: UndefinedRecord | None = None
        self._saved: list[tuple[str, Any]] = []

    def __enter__(self) -> Undefined:
        from triton.runtime.interpreter import InterpreterBuilder, _ir

        xchg = _ir.ATOMIC_OP.XCHG
        b = InterpreterBuilder

        def store(orig: Any) -> Any:
            def masked_store(builder, ptrs, value, mask, cache_policy):
                self._lanes("store", ptrs.data, value.data, mask.data)
                return orig(builder, ptrs, value, mask, cache_policy)

            return masked_store

        def atomic_store(orig: Any) -> Any:
            def store_(builder, ptr, val, mask, sem, scope):
                self._lanes("atomic store", ptr.data, val.data, mask.data)
                return orig(builder, ptr, val, mask, sem, scope)

            return store_

        def rmw(orig: Any) -> Any:
            def atomic_rmw(builder, op, ptr, val, mask, sem, scope):
                if op == xchg:
                    self._lanes("atomic_xchg", ptr.data, val.data, mask.data)
                return orig(builder, op, ptr, val, mask, sem, scope)

            return atomic_rmw

        def division(orig: Any, name: str) -> Any:
            def div(builder, lhs, rhs):
                self._divisor(name, rhs.data)
                return orig(builder, lhs, rhs)

            return div

        def shift(orig: Any, name: str) -> Any:
            def shifted(builder, lhs, rhs):
                self._amount(name, lhs.data, rhs.data)
                return orig(builder, lhs, rhs)

            return shifted

        patches = {
            "create_masked_store": store,
            "create_atomic_store": atomic_store,
            "create_atomic_rmw": rmw,
            **{n: (lambda orig, n=n: division(orig, n)) for n in _DIVISIONS},
            **{n: (lambda orig, n=n: shift(orig, n)) for n in _SHIFTS},
        }
        for name, make in patches.items():
            self._saved.append((name, b.__dict__.get(name)))
            setattr(b, name, make(getattr(b, name)))
        return self

    def __exit__(self, *exc) -> None:
        from triton.runtime.interpreter import InterpreterBuilder

        for name, old in reversed(self._saved):
            setattr(InterpreterBuilder, name, old)
        self._saved.clear()

    def _lanes(self, op: str, ptrs: np.ndarray, values: np.ndarray, mask: Any) -> None:
        n = conflicting_lanes(ptrs, values, mask)
        if n:
            self._refuse(LANES.format(op=op, n=n))

    def _divisor(self, name: str, divisor: np.ndarray) -> None:
        zero = np.asarray(divisor) == 0
        if zero.any():
            op, ir = _DIVISIONS[name]
            self._refuse(DIVISION.format(op=op, ir=ir, n=int(zero.sum())))

    def _amount(self, name: str, value: np.ndarray, amount: np.ndarray) -> None:
        bits = 8 * np.asarray(value).dtype.itemsize
        a = np.asarray(amount)
        out = (a >= bits) | (a < 0) if a.dtype.kind == "i" else a >= bits
        if out.any():
            what = f"{int(a[out].flat[0])} on a {bits}-bit integer"
            self._refuse(SHIFT.format(what=what, ir=_SHIFTS[name], n=int(out.sum())))

    def _refuse(self, what: str) -> None:
        line, code = _frame(self.file, self.lines)
        self.violation = UndefinedRecord(kernel=self.kernel, line=line, code=code, what=what)
        raise UndefinedOp(self.violation)


def conflicting_lanes(ptrs: np.ndarray, values: np.ndarray, mask: Any) -> int:
    """How many addresses the active lanes of one access write more than one value to (values
    compared bit for bit: -0.0 is not 0.0, a NaN is its own bits)."""
    p = np.asarray(ptrs)
    if p.size < 2:
        return 0
    v = np.broadcast_to(np.asarray(values), p.shape)
    if mask is not None:
        m = np.broadcast_to(np.asarray(mask, dtype=bool), p.shape)
        if not m.all():
            p, v = p[m], v[m]
    p, v = p.reshape(-1), v.reshape(-1)
    if p.size < 2 or bool((p[1:] > p[:-1]).all()):  # increasing: no address twice
        return 0
    order = np.argsort(p, kind="stable")
    p = p[order]
    same = p[1:] == p[:-1]
    if not same.any():
        return 0
    bits = np.ascontiguousarray(v[order])
    bits = bits.view(f"u{bits.itemsize}") if bits.dtype.kind != "b" else bits
    differ = same & (bits[1:] != bits[:-1])
    return int(np.unique(p[1:][differ]).size)
