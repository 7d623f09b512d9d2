"""Compiler hints held against the values the trusted replay computes.

``tl.multiple_of``, ``tl.max_contiguous`` and ``tl.max_constancy`` state facts about a tensor's
values that Triton's compiler believes without checking: it vectorises loads and stores on
them, so a false hint makes the compiled kernel read or write other addresses than the
program says. Triton's interpreter only records them (``_set_attr``), so a kernel with a false
hint is exact there. While ``Hints`` is open, every hint a kernel states is checked on the
values at hand, as Triton's axis analysis reads it, per axis:

- ``max_contiguous(x, c)``: along the axis, runs of ``c`` elements (from the axis' start) are
  consecutive values (for a pointer, consecutive elements);
- ``max_constancy(x, c)``: such runs are one value;
- ``multiple_of(x, d)``: the first value of each contiguous run is divisible by ``d`` (bytes,
  for a pointer). The run is the contiguity the compiler assumes: the ``max_contiguous`` hint
  where there is one, else the longest aligned run the values have, which is at least what
  the compiler can prove, so the check never asks more than the compiler assumed.

A hint on a Python int (a loop counter: ``multiple_of(k, BLOCK_K)``) is checked as a scalar.
A hint that does not hold stops the launch; the replay refuses the kernel (``incorrect``).

Not seen: a hint on values the check's inputs never produce (only the replayed values are
checked), a ``multiple_of`` whose run the compiler proves shorter than the values happen to
have (the check reads the longer run: a weaker claim), and anything on a GPU, where the
compiled kernel runs.
"""

from __future__ import annotations

import sys

import numpy as np
from pydantic import BaseModel

from kernelwright.sandbox import interp_memory

HINTS = {
    "multiple_of": "tt.divisibility",
    "max_contiguous": "tt.contiguity",
    "max_constancy": "tt.constancy",
}
_ACTIVE: list[Hints] = []
_installed = False


class FalseHintRecord(BaseModel):
    kernel: str
    line: int | None = None
    code: str | None = None
    hint: str  # e.g. "tl.max_contiguous(..., 4) along axis 0"
    why: str

    def message(self) -> str:
        at = f", line {self.line}" if self.line is not None else ""
        code = f" (`{self.code}`)" if self.code else ""
        return (
            f"kernel {self.kernel}{at}{code}: the hint {self.hint} is false on the values this "
            f"replay computed ({self.why}). A GPU's compiled kernel trusts hints without checking "
            "(it vectorises loads and stores on them), so there it would read or write other "
            "addresses than the program says. State only what holds for every input."
        )


class FalseHint(interp_memory.Refusal):
    field = "false_hint"
    record: FalseHintRecord


class Hints:
    """While open (one launch), every hint the interpreter meets is checked."""

    def __init__(self, kernel: str, file: str, lines: list[str] | None = None):
        self.kernel, self.file, self.lines = kernel, file, lines
        self.violation: FalseHintRecord | None = None

    def __enter__(self) -> Hints:
        if not _installed:
            raise RuntimeError("the interpreter's hints are not checked")
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _ACTIVE.remove(self)

    def fail(self, hint: str, why: str) -> None:
        line, code = _frame(self.file, self.lines)
        self.violation = FalseHintRecord(
            kernel=self.kernel, line=line, code=code, hint=hint, why=why
        )
        raise FalseHint(self.violation)


def install() -> None:
    """Wrap the hint functions the interpreter puts in place of Triton's at each launch, once
    per process (interpreter only)."""
    global _installed
    if _installed:
        return
    from triton.runtime import interpreter

    scope = interpreter._LangPatchScope
    set_attr = scope.set_attr

    def patched(self, obj, name, value):
        if name in HINTS:
            value = _checked(name, value)
        return set_attr(self, obj, name, value)

    scope.set_attr = patched
    _installed = True


def _checked(name: str, record):
    def hint(input, values, *args, **kwargs):
        out = record(input, values, *args, **kwargs)
        if _ACTIVE:
            _check(_ACTIVE[-1], name, input, values)
        return out

    return hint


def _values(values) -> list[int]:
    import triton.language as tl

    values = values if isinstance(values, (list, tuple)) else [values]
    return [int(v.value if isinstance(v, tl.constexpr) else v) for v in values]


def _check(hints: Hints, name: str, input, values) -> None:
    import triton.language as tl

    if isinstance(input, (int, np.integer)) and not isinstance(input, bool):
        if name == "multiple_of":  # a scalar is one run
            _scalar(hints, int(input), _values(values)[0])
        return None
    if not isinstance(input, tl.tensor):
        return None
    attr = input.handle.attr
    data = np.asarray(input.handle.data)
    dtype = input.dtype
    if dtype.is_ptr():
        step = max(1, dtype.element_ty.primitive_bitwidth // 8)
    elif dtype.is_int():
        step = 1
    else:
        return None  # a hint on floats states nothing the compiler uses
    data = data.astype(np.int64) if data.dtype != np.uint64 else data.view(np.int64)
    if data.ndim == 0 or data.size == 1:
        if "tt.divisibility" in attr:
            _scalar(hints, int(data.reshape(-1)[0]), _values(attr["tt.divisibility"])[0])
        return None
    contiguity = _values(attr["tt.contiguity"]) if "tt.contiguity" in attr else None
    for axis in range(data.ndim):
        moved = np.moveaxis(data, axis, -1)
        n = moved.shape[-1]
        if contiguity is not None:
            _runs(hints, moved, contiguity[axis], step, "max_contiguous", axis)
        if "tt.constancy" in attr:
            _runs(hints, moved, _values(attr["tt.constancy"])[axis], 0, "max_constancy", axis)
        if "tt.divisibility" in attr:
            d = _values(attr["tt.divisibility"])[axis]
            run = contiguity[axis] if contiguity is not None else _longest_run(moved, step)
            first = moved[..., :: max(1, min(run, n))]
            if d > 1 and bool((first % d).any()):
                bad = int(first[first % d != 0].reshape(-1)[0])
                hints.fail(
                    f"tl.multiple_of(..., {d}) along axis {axis}",
                    f"a run of {min(run, n)} starts at {bad}, not a multiple of {d}",
                )
    return None


def _scalar(hints: Hints, value: int, d: int) -> None:
    if d > 1 and value % d:
        hints.fail(f"tl.multiple_of(..., {d})", f"the value is {value}")


def _runs(hints: Hints, moved: np.ndarray, c: int, step: int, name: str, axis: int) -> None:
    n = moved.shape[-1]
    c = min(c, n)
    if c <= 1:
        return
    i = np.arange(1, n)
    inside = i % c != 0  # steps within a run
    diff = np.diff(moved, axis=-1)[..., inside]
    if bool((diff != step).any()):
        pos = int(i[inside][np.argwhere(diff != step)[0][-1]])
        what = "consecutive" if step else "equal"
        hints.fail(
            f"tl.{name}(..., {c}) along axis {axis}",
            f"elements {pos - 1} and {pos} of a run of {c} are not {what}",
        )


def _longest_run(moved: np.ndarray, step: int) -> int:
    """The longest power-of-two run length whose aligned runs all hold consecutive values."""
    n = moved.shape[-1]
    diff = np.diff(moved, axis=-1) == step
    i = np.arange(1, n)
    run = 1
    while run * 2 <= n and bool(diff[..., i % (run * 2) != 0].all()):
        run *= 2
    return run


def _frame(file: str, lines: list[str] | None) -> tuple[int | None, str | None]:
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == file:
            return f.f_lineno, interp_memory.source_line(file, lines, f.f_lineno)
        f = f.f_back
    return None, None
