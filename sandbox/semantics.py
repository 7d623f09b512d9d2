"""The interpreter's operations, computed in another way a GPU's compiled code may compute them.

Triton's CPU interpreter (NumPy) is one legal execution of a kernel; the compiled kernel a GPU
runs is another, and they differ where the compiler has a choice or lowers an op to an
instruction that is not NumPy's: a reduction folded in its layout's order, a float->int
conversion that saturates, an ``.approx.ftz`` instruction or FTZ libdevice code, a TF32 tensor
core accumulating step by step, a multiply and add contracted into one ``fma``, the zero a min
or max returns of +0.0 and -0.0, a reshape or cat allowed to reorder its elements. A kernel that
turns one such difference into a gate (right answer where the value is the interpreter's, zeros
otherwise) passes every interpreted check and fails on every GPU. So every replay but the first
(``perturbed_replay``) runs under ``perturbed``: each of those operations computed another legal
way. Each is perturbed as a class, not per op a past attack tried: every float width the PTX
has an ``fma`` for, every math op that is not IEEE, every reduction and scan (in an order a
compiled layout folds in, operands moved across lanes), every dot, every op that takes a min or
max (tl.maximum/tl.minimum, tl.clamp in both NaN modes, the tl.max/tl.min reductions), every
reshape and cat that may reorder. An honest kernel's outputs move by rounding only and stay
within tolerance; a gate flips and the check fails. Not a perturbation but the interpreter
fixed, in every run (``interp_floats.py``): a float8 conversion, which saturates as sm_90's
``cvt.rn.satfinite`` does.

Only the replay process patches, only for one replay, and everything is restored after. An
internal this Triton version lacks leaves its perturbation out (``Semantics.skipped``); the
replay itself never fails for it. Integer division by zero and lanes of one store writing
different values to one address are not perturbed but refused (``undefined.py``). Not
perturbed: a tensor core's summation inside one step of K; the value of an argmax/argmin at a
+0.0/-0.0 tie; anything in bfloat16 or float8 but a float8 dot's accumulator (stored as
integers by the interpreter, computed as a GPU does by ``interp_floats.py`` in every run, not
perturbed further); nothing on a GPU,
where the replay runs compiled kernels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kernelwright.sandbox import interp_floats, static_values

# What each perturbation does, as the candidate reads it when a replay under it fails.
WHAT = {
    "reduction order": "tl.reduce and tl.sum folded in the order a compiled layout folds them "
    "(a thread's elements in sequence, then butterflies across lanes and warps, operands out of "
    "their left-to-right order), tl.associative_scan and tl.cumsum in runs and a ladder; in the "
    "element type",
    "float-to-int saturation": "float->int casts saturating as PTX cvt.rzi does (NaN -> 0, "
    "out of range -> the type's min or max)",
    "approximate math": "exp, exp2, log, log2, sqrt, rsqrt, sin, cos, erf and '/' within 1 ulp "
    "of the exact result in float32 and float64, float32 subnormal inputs and results flushed "
    "to zero (.approx.ftz, libdevice built with FTZ)",
    "tf32 dot": "float32 tl.dot operands truncated to TF32 (input_precision='tf32', the default); "
    "with 'tf32x3', each operand split into a big and a small TF32 part (cvt.rna) and the "
    "small x small product dropped, as Triton lowers it",
    "dot order": "tl.dot accumulated into its accumulator a tensor-core step of K at a time",
    "float8 dot accumulator": "a float8 x float8 -> float32 tl.dot accumulated as sm_90's wgmma "
    "does without promotion (max_num_imprecise_acc unset): the accumulator kept to "
    "14 significant bits, truncated, after each step of 32 of K",
    "fma contraction": "a * b + c fused into one rounding (fma) in float16, float32 and float64, "
    "as the compiler contracts it",
    "float remainder": "float32 and float64 % as NVPTX lowers it: x - trunc(x / y) * y with one "
    "division and one fma, not fmod",
    "signed zero min/max": "tl.maximum/tl.minimum, tl.clamp and the tl.max/tl.min reductions "
    "of +0.0 and -0.0 returning the zero a GPU may: either one for the default (maxnum: the "
    "sign drawn per replay, alternating), and -0.0 < +0.0 for propagate_nan=ALL (LLVM's "
    "maximum/minimum define it)",
    "reordered reshape": "tl.reshape(..., can_reorder=True), tl.view and tl.cat returning "
    "their elements in another order (a permutation drawn per replay and pair of shapes), as "
    "Triton allows them to: only an order-insensitive use of the result is defined",
}

_SUBNORMAL32 = np.finfo(np.float32).tiny


@dataclass
class Semantics:
    """What a perturbed replay changed: ``applied`` names the perturbations that moved at
    least one value (keys of ``WHAT``); ``skipped`` the ones this Triton could not patch."""

    applied: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)


def perturbed_replay(n: int) -> bool:
    """Whether the plan's ``n``-th replay runs under ``perturbed``: every one but the first, so
    one replay stays the interpreter's own and each of the others draws its orders and ulps
    afresh (an order-sensitive value meets the compiled order on some draws, not on all)."""
    return n > 0


def note(applied: set[str]) -> str:
    """Said with a mismatch of a perturbed replay."""
    what = "; ".join(f"{name}: {WHAT[name]}" for name in sorted(applied))
    return (
        "this replay computed some operations the way a GPU's compiled code may compute them "
        f"({what}): your outputs depend on how the GPU compiler lowers an operation, beyond "
        "rounding, so they would be wrong on a GPU"
    )


@contextlib.contextmanager
def perturbed(seed: int, n: int = 1) -> Iterator[Semantics]:
    """While open, the interpreter computes the operations of ``WHAT`` the other legal way;
    ``seed`` draws the orders and ulps (the same seed, the same replay). What the compiler
    most often does is not left to chance: ``n``, the replay's place in the plan, picks which
    of two products is fused (alternating) and the reductions' layout style (``_VECTORS``),
    so any plan's first perturbed replays meet the common compiled choices."""
    import triton.runtime.interpreter as interp

    sem = Semantics()
    saved: list[tuple[Any, str, Any]] = []
    try:
        for name, patches in _table(interp, sem, np.random.default_rng(seed), n):
            if any(getattr(owner, attr, None) is None for owner, attr, _ in patches):
                sem.skipped.add(name)
                continue
            for owner, attr, make in patches:
                saved.append((owner, attr, owner.__dict__.get(attr, _UNSET)))
                setattr(owner, attr, make(getattr(owner, attr)))
        yield sem
    finally:
        for owner, attr, old in reversed(saved):
            if old is _UNSET:
                delattr(owner, attr)  # an instance attribute over the class's method
            else:
                setattr(owner, attr, old)


_UNSET = object()
Patch = tuple[Any, str, Callable[[Any], Any]]


def _table(
    interp: Any, sem: Semantics, rng: np.random.Generator, n: int
) -> list[tuple[str, list[Patch]]]:
    """Per perturbation, (owner, attribute, original -> replacement) of every patch it needs."""
    right = n % 2 == 0
    b = getattr(interp, "interpreter_builder", None)
    reduce_ops, scan_ops = getattr(interp, "ReduceOps", None), getattr(interp, "ScanOps", None)
    fma32 = getattr(getattr(interp, "_interpreter", None), "fma_fp32", None)
    fma64 = getattr(getattr(interp, "_interpreter", None), "fma_fp64", None)
    orders = _Orders(rng, _VECTORS[n % len(_VECTORS)])
    shuffles = _Shuffles(rng)
    table: list[tuple[str, list[Patch]]] = [
        (
            "reduction order",
            [
                (
                    getattr(interp, "InterpretedFunction", None),
                    "run",
                    lambda orig: _launched(orig, orders),
                ),
                (reduce_ops, "generic_reduce", lambda _: _tree_reduce(sem, orders)),
                (reduce_ops, "apply_impl", lambda orig: _fast_ties(orig, interp)),
                (reduce_ops, "sum", lambda orig: _tree_sum(orig, sem, orders)),
                (scan_ops, "generic_scan", lambda _: _tree_scan(sem, orders)),
                (scan_ops, "cumsum", lambda orig: _tree_cum(orig, np.add, sem, orders)),
                (scan_ops, "cumprod", lambda orig: _tree_cum(orig, np.multiply, sem, orders)),
            ],
        ),
        (
            "float-to-int saturation",
            [
                (b, a, lambda orig: _saturating(orig, sem))
                for a in ("create_fp_to_si", "create_fp_to_ui")
            ],
        ),
        (
            "approximate math",
            [(b, a, lambda orig, a=a: _approx(orig, sem, rng.integers(2**32), a)) for a in _ULPS],
        ),
        ("tf32 dot", [(b, "create_dot", lambda orig: _tf32_dot(orig, interp, sem))]),
        ("dot order", [(b, "create_dot", lambda orig: _dot_steps(orig, sem, rng))]),
        # After "dot order": it hands each step of 32 to the others and narrows what they add.
        ("float8 dot accumulator", [(b, "create_dot", lambda orig: _fp8_accumulator(orig, sem))]),
        # Before "fma contraction": its moved products go through the reordered reshape.
        (
            "reordered reshape",
            [
                (b, "create_reshape", lambda orig: _reordered_reshape(orig, sem, shuffles)),
                (b, "create_cat", lambda orig: _reordered_cat(orig, sem, shuffles)),
            ],
        ),
    ]
    if (
        getattr(getattr(getattr(interp, "_ir", None), "INPUT_PRECISION", None), "TF32", None)
        is None
    ):
        table = [(name, patches) for name, patches in table if name != "tf32 dot"]
        sem.skipped.add("tf32 dot")
    if fma32 is None or fma64 is None:
        sem.skipped.update({"fma contraction", "float remainder"})
    else:
        fma = _fma(fma32, fma64)
        table.append(("float remainder", [(b, "create_frem", lambda orig: _frem(orig, fma, sem))]))
        table.append(
            (
                "fma contraction",
                [
                    (b, "create_fmul", _product),
                    (b, "create_fneg", _negated),
                    *[(b, a, _moved) for a in _MOVES],
                    (b, "create_fadd", lambda orig: _contracted(orig, fma, 1.0, sem, right)),
                    (b, "create_fsub", lambda orig: _contracted(orig, fma, -1.0, sem, right)),
                ],
            )
        )
    ties = [
        (b, f"create_{kind}{nan}f", lambda orig, k=kind, nan=nan: _zeros(orig, sem, k, nan, right))
        for kind in ("max", "min")
        for nan in ("num", "imum")
    ]
    ties.append((b, "create_clampf", lambda orig: _zero_clamp(orig, interp, sem, right)))
    ties.append((reduce_ops, "min_max", lambda orig: _zero_reduce(orig, sem, right)))
    table.append(("signed zero min/max", ties))
    return table


# --- reduction and scan order -------------------------------------------------------------
# Triton requires a combine function to be associative, and the compiled order depends on the
# layout the compiler picks: a reduction folds each thread's elements in sequence, then a
# butterfly across the lanes and then the warps that hold the axis (``shfl.bfly``: lane i with
# lane i ^ d, the largest d first), so the operands are not in their left-to-right order. Which
# index bits are a thread's registers, its lanes or its warps is the layout's choice (sizes,
# order, and an MMA accumulator's interleaving), so each reduction here draws one at random:
# a value that depends on the order meets the GPU's own order on some replays, never only the
# interpreter's. A scan keeps its operands in order (it must): each thread scans a run of
# elements in sequence, a ladder (Hillis-Steele) scans the runs' totals, and each run adds the
# total before it; the run length is drawn at random.

# A replay's reduction layout style by its place in the plan (``_Orders``): blocked layouts
# whose threads hold 1 (a tensor no vector load produced), 4 (16-byte float32 vectors), 8
# (16-byte float16 vectors) and 2 elements of the fastest dimension on n = 1, 2, 3, 4, so
# every plan of four perturbed replays meets each; any layout (None) from n = 5 on.
_VECTORS = (None, 1, 4, 8, 2, None, None, None)

# At most this many index bits are one thread's registers: the sequential part costs one
# combine per element of a run (an interpreted combine function is slow), and longer runs add
# nothing an order-sensitive value could tell from the interpreter's own sequential order.
_MAX_REGISTER_BITS = 3


def _combine(self: Any, left: list[np.ndarray], right: list[np.ndarray], dtypes: list) -> list:
    """The combine function on whole arrays at once (it is elementwise)."""
    args = [
        self.to_tensor(np.ascontiguousarray(a), t)
        for a, t in zip(left + right, dtypes + dtypes, strict=True)
    ]
    with static_values.per_element():  # typed per lane, as the compiled combine's scalars
        out = self.combine_fn.fn(*args)
    out = out if isinstance(out, tuple) else (out,)
    shape = left[0].shape
    return [
        np.broadcast_to(np.asarray(o.handle.data if hasattr(o, "handle") else o), shape).astype(
            a.dtype
        )
        for o, a in zip(out, left, strict=True)
    ]


Combine = Callable[[list, list], list]


class _Orders:
    """The orders one replay folds in, drawn per shape once, so one reduction of one shape
    folds alike wherever it runs (a compiled op has one layout in every program and loop trip;
    a kernel may rely on two programs' equal sums of equal data).

    ``vector`` (elements per thread along the fastest dimension; None: any layout, drawn per
    shape) lays every tensor of the replay out as Triton's default and coalesced blocked
    layouts do, for the launch's ``num_warps``: ``vector`` elements per thread, then a warp's
    32 lanes and then the warps dealt from the fastest dimension on, the rest repeated in
    registers. One style for the whole replay, as one kernel has one vector width: a detector
    that ORs reductions of several shapes meets the GPU's order on all of them at once."""

    def __init__(self, rng: np.random.Generator, vector: int | None) -> None:
        self.rng = rng
        self.vector = vector
        self.num_warps = 4
        self.drawn: dict[tuple, Any] = {}

    def layout(self, shape: tuple, axis: int) -> tuple[np.ndarray, np.ndarray]:
        """Of ``shape``'s ``axis``: (role per index bit: 0 warp, 1 lane, 2 register; the bits,
        most significant first)."""
        key = ("layout", shape, axis, self.num_warps)
        if key not in self.drawn:
            k = shape[axis].bit_length() - 1
            if self.vector is None:  # any layout (an MMA accumulator's, a sliced one)
                role, bits = self.rng.integers(0, 3, size=k), self.rng.permutation(k)
            else:
                role, bits = _blocked(shape, axis, self.vector, self.num_warps), np.arange(k)[::-1]
            for extra in np.flatnonzero(role == 2)[_MAX_REGISTER_BITS:]:
                role[extra] = 1
            self.drawn[key] = role, bits
        return self.drawn[key]

    def run(self, shape: tuple) -> int:
        if ("run", shape) not in self.drawn:
            top = min(shape[0].bit_length() - 1, _MAX_REGISTER_BITS)
            self.drawn["run", shape] = 1 << int(self.rng.integers(0, top + 1))
        return self.drawn["run", shape]


def _blocked(shape: tuple, axis: int, vector: int, num_warps: int) -> np.ndarray:
    """The roles of ``axis``'s index bits in Triton's blocked layout of ``shape`` (order: the
    last dimension fastest): sizePerThread ``vector`` on the last dimension, threadsPerWarp and
    warpsPerCTA each dealt from the fastest dimension on, as far as the shape holds them."""
    per_thread = [1] * len(shape)
    per_thread[-1] = min(vector, shape[-1])
    lanes, warps, lanes_left, warps_left = [1] * len(shape), [1] * len(shape), 32, num_warps
    for d in reversed(range(len(shape))):
        lanes[d] = min(lanes_left, max(shape[d] // per_thread[d], 1))
        lanes_left //= lanes[d]
        warps[d] = min(warps_left, max(shape[d] // (per_thread[d] * lanes[d]), 1))
        warps_left //= warps[d]
    k = shape[axis].bit_length() - 1
    low, lane, warp = (n.bit_length() - 1 for n in (per_thread[axis], lanes[axis], warps[axis]))
    return np.array([2] * low + [1] * lane + [0] * warp + [2] * (k - low - lane - warp))


def _launched(natural: Callable, orders: _Orders) -> Callable:
    """The launch's ``num_warps`` (the interpreter ignores it) for the layouts of its tensors."""

    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        orders.num_warps = int(kwargs.get("num_warps") or 4)
        return natural(self, *args, **kwargs)

    return run


def _layout_fold(
    datas: list[np.ndarray], combine: Combine, orders: _Orders, shape: tuple, axis: int
) -> list:
    """Folds axis 0 of every array (``shape``'s ``axis``, moved first) as a compiled reduction
    under the replay's layout (``_Orders``): the axis's index bits dealt to warps, lanes and
    registers, each thread's registers folded in sequence, then its lanes and then the warps
    as a butterfly.
    An axis whose length is not a power of two is folded as a balanced tree of adjacent pairs."""
    n = datas[0].shape[0]
    k = n.bit_length() - 1
    if n != 1 << k:
        return _pairwise(datas, combine)
    role, bits = orders.layout(shape, axis)
    order = [k - 1 - b for r in (0, 1, 2) for b in bits if role[b] == r]
    sizes = [1 << int((role == r).sum()) for r in (0, 1, 2)]
    rest = datas[0].shape[1:]
    views = [
        d.reshape((2,) * k + rest).transpose(order + list(range(k, k + len(rest)))) for d in datas
    ]
    views = [v.reshape(tuple(sizes) + rest) for v in views]
    acc = [v[:, :, 0] for v in views]
    for j in range(1, sizes[2]):  # a thread's registers, in sequence
        acc = combine(acc, [v[:, :, j] for v in views])
    while acc[0].shape[1] > 1:  # lanes, then warps: lane i with lane i ^ d, largest d first
        h = acc[0].shape[1] // 2
        acc = combine([a[:, :h] for a in acc], [a[:, h:] for a in acc])
    while acc[0].shape[0] > 1:
        h = acc[0].shape[0] // 2
        acc = combine([a[:h] for a in acc], [a[h:] for a in acc])
    return [a.reshape(rest) for a in acc]


def _pairwise(datas: list[np.ndarray], combine: Combine) -> list[np.ndarray]:
    """Folds axis 0 of every array as a balanced tree of adjacent pairs: ((x0 x1)(x2 x3))..."""
    while datas[0].shape[0] > 1:
        n = datas[0].shape[0]
        h = n // 2
        merged = combine([d[0 : 2 * h : 2] for d in datas], [d[1 : 2 * h : 2] for d in datas])
        datas = [
            np.concatenate([m, d[2 * h :]]) if n % 2 else m
            for m, d in zip(merged, datas, strict=True)
        ]
    return [d[0] for d in datas]


def _ladder(datas: list[np.ndarray], combine: Combine) -> list[np.ndarray]:
    """Inclusive scan along axis 0 in Hillis-Steele steps: y[i] = y[i - d] . y[i], d = 1, 2, 4...
    Each step combines whole blocks (a block's length must stay a power of two): the first d
    lanes combine with themselves and keep their value."""
    n, d = datas[0].shape[0], 1
    while d < n:
        moved = combine([np.concatenate([x[:d], x[: n - d]]) for x in datas], datas)
        datas = [np.concatenate([x[:d], m[d:]]) for x, m in zip(datas, moved, strict=True)]
        d *= 2
    return datas


def _run_scan(datas: list[np.ndarray], combine: Combine, orders: _Orders) -> list:
    """Inclusive scan along axis 0 as compiled: runs of a random power-of-two length scanned in
    sequence (a thread's elements), a ladder over the runs' totals (lanes and warps), and each
    run's elements combined with the total of the runs before it."""
    n = datas[0].shape[0]
    if n != 1 << (n.bit_length() - 1):
        return _ladder(datas, combine)
    run = orders.run(datas[0].shape)
    rest = datas[0].shape[1:]
    runs = [d.reshape((n // run, run) + rest) for d in datas]
    local = [[r[:, 0] for r in runs]]
    for j in range(1, run):
        local.append(combine(local[-1], [r[:, j] for r in runs]))
    if n == run:
        outs = local
    else:
        # Run m >= 1 gets the total of runs 0..m-1 (shifted by one run; run 0 keeps its own,
        # as every shape the combine function sees must stay a power of two).
        totals = _ladder(local[-1], combine)
        before = [np.concatenate([t[:1], t[:-1]]) for t in totals]
        outs = []
        for part in local:
            later = combine(before, part)
            outs.append([np.concatenate([p[:1], q[1:]]) for p, q in zip(part, later, strict=True)])
    return [np.stack([o[i] for o in outs], axis=1).reshape((n,) + rest) for i in range(len(datas))]


def _tree_reduce(sem: Semantics, orders: _Orders) -> Callable:
    def generic_reduce(self: Any, input: tuple) -> list:
        original_axis = self.axis
        input, axis = self.unravel(input, self.axis)
        dtypes = [t.dtype for t in input]
        datas = [np.moveaxis(t.handle.data, axis, 0) for t in input]
        if datas[0].shape[0] > 2:
            sem.applied.add("reduction order")
        shape = input[0].handle.data.shape
        outs = _layout_fold(
            datas, lambda left, right: _combine(self, left, right, dtypes), orders, shape, axis
        )
        ret = []
        for data, dtype, t in zip(outs, dtypes, input, strict=True):
            if self.keep_dims:
                for _ in range(1 if original_axis is not None else t.handle.data.ndim):
                    data = np.expand_dims(data, axis if original_axis is not None else 0)
            elif original_axis is None:
                data = data.item()
            ret.append(self.to_tensor(data, dtype))
        return ret

    return generic_reduce


def _fast_ties(natural: Callable, interp: Any) -> Callable:
    """argmin/argmax with ``tie_break_left=False``: the compiled combine keeps either index of
    a tie, so which one comes out follows the fold's order; NumPy's shortcut always gives the
    leftmost. And any argmin/argmax over a NaN: NumPy's ``nanargmax`` skips it, the compiled
    combine compares with ``<``/``>``, false against a NaN, and keeps whichever operand the
    fold puts second. Those fold as any other combine function (``_tree_reduce``)."""
    std = interp.tl.standard
    fast = {std._argmin_combine_tie_break_fast, std._argmax_combine_tie_break_fast}
    left = {std._argmin_combine_tie_break_left, std._argmax_combine_tie_break_left}

    def apply_impl(self: Any, input: Any) -> Any:
        if self.combine_fn in fast:
            return self.generic_reduce(input)
        if self.combine_fn in left:
            data = input[0].handle.data
            if data.dtype.kind == "f" and np.isnan(data).any():
                return self.generic_reduce(input)
        return natural(self, input)

    return apply_impl


def _tree_sum(natural: Callable, sem: Semantics, orders: _Orders) -> Callable:
    def tree_sum(self: Any, input: Any) -> Any:
        data = input.handle.data
        if data.dtype not in (np.float16, np.float32, np.float64):
            return natural(self, input)  # integer sums are exact in any order
        axis = self.axis
        flat = data.reshape(-1) if axis is None else np.moveaxis(data, axis, 0)
        if flat.shape[0] > 2:
            sem.applied.add("reduction order")
        # NumPy adds float16 in float32; the compiled sum adds in the element type.
        (out,) = _layout_fold(
            [flat],
            lambda left, right: [np.add(left[0], right[0], dtype=data.dtype)],
            orders,
            data.shape if axis is not None else (data.size,),
            axis or 0,
        )
        if self.keep_dims:
            out = np.expand_dims(out, axis) if axis is not None else out.reshape((1,) * data.ndim)
        return self.to_tensor(out, input.dtype)

    return tree_sum


def _tree_scan(sem: Semantics, orders: _Orders) -> Callable:
    def generic_scan(self: Any, input: tuple) -> list:
        dtypes = [t.dtype for t in input]
        datas = [np.moveaxis(t.handle.data, self.axis, 0) for t in input]
        if datas[0].shape[0] > 2:
            sem.applied.add("reduction order")
        outs = _run_scan(datas, lambda left, right: _combine(self, left, right, dtypes), orders)
        return [
            self.to_tensor(np.moveaxis(o, 0, self.axis), t)
            for o, t in zip(outs, dtypes, strict=True)
        ]

    return generic_scan


def _tree_cum(natural: Callable, op: Any, sem: Semantics, orders: _Orders) -> Callable:
    """``_run_scan`` for a float cumsum/cumprod, in NumPy's own ops: ``accumulate`` runs in
    sequence within each run, in the element type."""

    def cum(self: Any, input: Any) -> list:
        data = input.handle.data
        if data.dtype not in (np.float16, np.float32, np.float64):
            return natural(self, input)
        flat = np.moveaxis(data, self.axis, 0)
        n, rest = flat.shape[0], flat.shape[1:]
        if n > 2:
            sem.applied.add("reduction order")
        if n != 1 << (n.bit_length() - 1):
            (out,) = _ladder([flat], lambda left, right: [op(left[0], right[0], dtype=data.dtype)])
        else:
            run = orders.run(flat.shape)
            local = op.accumulate(flat.reshape((n // run, run) + rest), axis=1, dtype=data.dtype)
            (totals,) = _ladder(
                [local[:, -1]], lambda left, right: [op(left[0], right[0], dtype=data.dtype)]
            )
            local[1:] = op(np.expand_dims(totals[:-1], 1), local[1:], dtype=data.dtype)
            out = local.reshape(flat.shape)
        return [self.to_tensor(np.moveaxis(out, 0, self.axis), input.dtype)]

    return cum


# --- conversions ------------------------------------------------------------------------------


def _saturating(natural: Callable, sem: Semantics) -> Callable:
    """PTX ``cvt.rzi`` clamps to the destination's range and makes NaN 0; NumPy's cast wraps
    or gives the type's minimum (LLVM calls the value poison: the compiler may do either)."""

    def convert(src: Any, dst_type: Any) -> Any:
        data = src.data
        if getattr(src.dtype, "scalar", None) is not None and src.dtype.scalar.name == "bf16":
            data = interp_floats.decode(data)  # stored as its bits (interp_floats.py)
        out = natural(src, dst_type)
        info = np.iinfo(out.data.dtype) if out.data.dtype.kind in "iu" else None
        if info is None:
            return out
        wide = data.astype(np.float64)
        odd = np.isnan(wide) | (wide < info.min) | (wide > info.max)
        if odd.any():
            sem.applied.add("float-to-int saturation")
            fixed = np.where(np.isnan(wide), 0.0, np.clip(np.trunc(wide), info.min, info.max))
            out.data = np.where(odd, fixed.astype(out.data.dtype), out.data)
        return out

    return convert


# --- float32 arithmetic -----------------------------------------------------------------------


def _flush(x: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) < _SUBNORMAL32, np.copysign(np.float32(0), x), x).astype(np.float32)


# Each math op's error bound in ulps as compiled (CUDA's documented maximum for the float32
# approximations and the libdevice code Triton calls, and for float64's libdevice code; 0:
# IEEE, exact: ``sqrt.rn.f64``, ``div.rn.f64``). A perturbed result is moved within it.
_ULPS = {
    "create_exp": (2, 1),
    "create_exp2": (2, 1),
    "create_log": (1, 1),
    "create_log2": (1, 1),
    "create_sqrt": (1, 0),
    "create_rsqrt": (2, 1),
    "create_sin": (2, 2),
    "create_cos": (2, 2),
    "create_erf": (2, 2),
    "create_fdiv": (2, 0),
    "create_approx_divf": (2, 0),
}


def _approx(natural: Callable, sem: Semantics, key: int, name: str) -> Callable:
    """A math op as compiled: float32 ones are ``.approx.ftz`` instructions (``ex2``, ``sqrt``,
    ``rsqrt``; ``div.full`` for '/') or libdevice code built with FTZ (log, sin, cos, erf), so
    subnormal inputs and results are flushed to zero; float64 ones are libdevice code or a
    refined ``rcp``/``rsqrt.approx`` (no flush). Each nonzero finite result moves by a number
    of ulps within the op's bound (``_ULPS``) that is a hash of its inputs' bits and ``key``: a
    function of the inputs, as an instruction is (equal inputs, equal results), and another
    function on every replay. The IEEE forms (``sqrt_rn``, ``div_rn``) are other builder calls
    and stay natural; Triton refuses these ops on float16."""
    ulps32, ulps64 = _ULPS[name]

    def op(*args: Any) -> Any:
        kinds = {a.data.dtype for a in args}
        if kinds == {np.dtype(np.float32)}:
            flushed = [type(a)(_flush(a.data), a.dtype) for a in args]
            out = natural(*flushed)
            out.data = _flush(_ulp(out.data, [a.data for a in flushed], key, ulps32))
        elif kinds == {np.dtype(np.float64)} and ulps64:
            out = natural(*args)
            out.data = _ulp(out.data, [a.data for a in args], key, ulps64)
        else:
            return natural(*args)
        sem.applied.add("approximate math")
        return out

    return op


def _ulp(r: np.ndarray, inputs: list[np.ndarray], key: int, bound: int) -> np.ndarray:
    """``r`` moved by -bound..+bound ulps per element, as a hash of the inputs' bits."""
    h = np.full(r.shape, key, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for x in inputs:
            bits = np.ascontiguousarray(np.broadcast_to(x, r.shape))
            h = (h ^ bits.view(np.uint32 if x.dtype == np.float32 else np.uint64)) * np.uint64(
                0x9E3779B97F4A7C15
            )
            h ^= h >> np.uint64(29)
    step = (h % np.uint64(2 * bound + 1)).astype(np.int64) - bound
    # A float's bits in sign-magnitude order: +k ulps away from zero is +k on the magnitude.
    signed = np.int32 if r.dtype == np.float32 else np.int64
    bits = np.ascontiguousarray(r).view(signed).astype(np.int64)
    magnitude = bits & np.int64(np.iinfo(signed).max)
    moved = magnitude + np.where(r < 0, -step, step)
    keep = ~np.isfinite(r) | (r == 0) | (moved <= 0)  # never across zero
    out = ((bits - magnitude) + moved).astype(signed).view(r.dtype)
    return np.where(keep, r, out)


def _tf32_dot(natural: Callable, interp: Any, sem: Semantics) -> Callable:
    """``input_precision='tf32'`` on float32 operands: the tensor core reads 10 mantissa bits;
    Triton's PTX passes the float32 bits unconverted, so the low 13 are dropped (truncation)."""
    tf32 = interp._ir.INPUT_PRECISION.TF32  # present: ``_table`` skips the patch otherwise
    tf32x3 = getattr(interp._ir.INPUT_PRECISION, "TF32x3", None)

    def dot(a: Any, b: Any, d: Any, input_precision: Any, max_num_imprecise_acc: Any) -> Any:
        if a.data.dtype != np.float32 or b.data.dtype != np.float32:
            return natural(a, b, d, input_precision, max_num_imprecise_acc)
        if input_precision == tf32:
            sem.applied.add("tf32 dot")
            a, b = (interp.TensorHandle(_truncate_tf32(x.data), x.dtype) for x in (a, b))
        elif tf32x3 is not None and input_precision == tf32x3:
            # Triton's lowering: small x big, + big x small, NaNs made 0, + big x big; each a
            # TF32 dot with float32 accumulation, small x small never computed.
            sem.applied.add("tf32 dot")
            (a_big, a_small), (b_big, b_small) = (_split_tf32(x.data) for x in (a, b))

            def part(x: np.ndarray, y: np.ndarray, acc: np.ndarray) -> np.ndarray:
                handles = (interp.TensorHandle(v, t.dtype) for v, t in ((x, a), (y, b)))
                return natural(
                    *handles, interp.TensorHandle(acc, d.dtype), tf32, max_num_imprecise_acc
                ).data

            zero = np.zeros_like(d.data)
            cross = part(a_big, b_small, part(a_small, b_big, zero))
            cross = np.where(np.isnan(cross), np.float32(0), cross)
            return interp.TensorHandle(part(a_big, b_big, d.data + cross), d.dtype)
        return natural(a, b, d, input_precision, max_num_imprecise_acc)

    return dot


def _split_tf32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cvt.rna.tf32.f32`` of x (to 10 mantissa bits, ties away from zero), and of the rest."""
    big = _round_tf32(x)
    with np.errstate(all="ignore"):
        return big, _round_tf32(np.subtract(x, big, dtype=np.float32))


def _round_tf32(x: np.ndarray) -> np.ndarray:
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)
    return np.where(np.isfinite(x), rounded, x)


def _dot_steps(natural: Callable, sem: Semantics, rng: np.random.Generator) -> Callable:
    """A compiled dot accumulates into its accumulator one tensor-core step of K at a time
    (``mma``/``wgmma``: 8 to 32 of K per instruction), not as one product added at the end;
    each step here is the interpreter's own (tf32 truncation included), the step drawn per
    replay."""
    step = 8 << int(rng.integers(0, 3))

    def dot(a: Any, b: Any, d: Any, input_precision: Any, max_num_imprecise_acc: Any) -> Any:
        k = a.data.shape[-1]
        if k <= step or k % step:
            return natural(a, b, d, input_precision, max_num_imprecise_acc)
        sem.applied.add("dot order")
        acc = d
        for i in range(0, k, step):
            part = [
                type(x)(np.ascontiguousarray(s), x.dtype)
                for x, s in (
                    (a, a.data[..., i : i + step]),
                    (b, b.data[..., i : i + step, :]),
                )
            ]
            acc = natural(*part, acc, input_precision, max_num_imprecise_acc)
        return acc

    return dot


# sm_90's float8 wgmma keeps about 14 bits of its float32 accumulator (DeepSeek-V3 report,
# 3.3.2: "around 14 bits" on H800; a paper's figure, not measured here), and Triton 3.9 leaves
# max_num_imprecise_acc at 2**30 for float8 dots on sm_90, so nothing is ever promoted to a full
# float32 add. The interpreter cannot tell an unset max_num_imprecise_acc from 0 (its default is
# 0): both are taken as unset, the GPU's default. A kernel that sets it to n promotes every n.
_FP8_ACC_BITS = 14
_FP8_STEP = 32  # K of one wgmma for float8 operands
_NEVER_PROMOTED = 2**30


def _fp8_accumulator(natural: Callable, sem: Semantics) -> Callable:
    """A float8 x float8 dot into float32: each step of 32 of K summed by the inner dot, added to
    an accumulator truncated to ``_FP8_ACC_BITS`` significant bits after each step; with
    ``max_num_imprecise_acc`` = n < 2**30, a fresh imprecise accumulator every n of K, each added
    exactly to the incoming one."""

    def dot(a: Any, b: Any, d: Any, input_precision: Any, max_num_imprecise_acc: Any) -> Any:
        fp8 = all(x.dtype.primitive_bitwidth == 8 and x.dtype.is_floating() for x in (a, b))
        k = a.data.shape[-1]
        if not fp8 or d.data.dtype != np.float32 or k < _FP8_STEP:
            return natural(a, b, d, input_precision, max_num_imprecise_acc)
        every = max_num_imprecise_acc or _NEVER_PROMOTED
        zero = type(d)(np.zeros_like(d.data), d.dtype)
        exact = natural(a, b, d, input_precision, max_num_imprecise_acc).data
        if every >= _NEVER_PROMOTED:
            out, chunks = d.data, [(0, k)]
        else:
            out, chunks = d.data, [(i, min(i + every, k)) for i in range(0, k, every)]
        for lo, hi in chunks:
            acc = out if every >= _NEVER_PROMOTED else np.zeros_like(d.data)
            for i in range(lo, hi, _FP8_STEP):
                part = [
                    type(x)(np.ascontiguousarray(s), x.dtype)
                    for x, s in (
                        (a, a.data[..., i : min(i + _FP8_STEP, hi)]),
                        (b, b.data[..., i : min(i + _FP8_STEP, hi), :]),
                    )
                ]
                step = natural(*part, zero, input_precision, max_num_imprecise_acc).data
                acc = _keep_bits(acc + step, _FP8_ACC_BITS)
            out = acc if every >= _NEVER_PROMOTED else out + acc
        if not np.array_equal(out, exact, equal_nan=True):
            sem.applied.add("float8 dot accumulator")
        return type(d)(out.astype(np.float32), d.dtype)

    return dot


def _keep_bits(x: np.ndarray, bits: int) -> np.ndarray:
    """float32 values truncated (toward zero) to ``bits`` significant bits; inf and NaN kept."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    mask = np.uint32((0xFFFFFFFF << (24 - bits)) & 0xFFFFFFFF)
    return np.where(np.isfinite(x), (x.view(np.uint32) & mask).view(np.float32), x)


def _truncate_tf32(x: np.ndarray) -> np.ndarray:
    return (np.ascontiguousarray(x).view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)


# LLVM contracts an fadd/fsub of an fmul into an fma, at every float width the PTX has one for
# (``fma.rn.f16``/``f32``/``f64``; Triton compiles with fp fusion on, and the NVPTX backend
# fuses aggressively, even a product with several uses). The interpreter sees two ops, so the
# product remembers its factors and an add or subtract of it rounds once.
_FACTORS = "kernelwright.factors"
_FUSED = (np.float16, np.float32, np.float64)


def _product(natural: Callable) -> Callable:
    def mul(lhs: Any, rhs: Any) -> Any:
        out = natural(lhs, rhs)
        if out.data.dtype in _FUSED and lhs.data.dtype == rhs.data.dtype == out.data.dtype:
            out.attr[_FACTORS] = (lhs.data, rhs.data)
        return out

    return mul


def _negated(natural: Callable) -> Callable:
    """-(a * b) is still a product for LLVM (``fadd (fneg (fmul a b)) c`` -> ``fma(-a, b, c)``)."""

    def neg(arg: Any) -> Any:
        out = natural(arg)
        if _FACTORS in arg.attr:
            x, y = arg.attr[_FACTORS]
            out.attr[_FACTORS] = (np.negative(x), y)
        return out

    return neg


# Ops that only move values (the same register in LLVM): a product moved is still one.
_MOVES = (
    "create_expand_dims",
    "create_broadcast",
    "create_reshape",
    "create_trans",
    "create_splat",
)


def _moved(natural: Callable) -> Callable:
    def move(*args: Any) -> Any:
        out = natural(*args)
        for i, a in enumerate(args):
            if _FACTORS in getattr(a, "attr", {}):
                out.attr[_FACTORS] = tuple(
                    natural(*args[:i], type(a)(f, a.dtype), *args[i + 1 :]).data
                    for f in a.attr[_FACTORS]
                )
        return out

    return move


def _fma(fma32: Callable, fma64: Callable) -> Callable:
    """x * y + z rounded once, in z's type (float16 through float64, as the interpreter's own
    ``tl.fma`` does: a float16 product is exact in float64)."""

    def fma(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        t = z.dtype
        x, y, z = np.broadcast_arrays(x.astype(t), y.astype(t), z)
        if t == np.float64:
            return np.asarray(fma64(x, y, z), dtype=t)
        if t == np.float32:
            return np.asarray(fma32(x, y, z), dtype=t)
        return (x.astype(np.float64) * y + z).astype(t)

    return fma


def _contracted(
    natural: Callable, fma: Callable, sign: float, sem: Semantics, right: bool
) -> Callable:
    """An add or subtract of a product, rounded once. Of two products, LLVM fuses the left
    one unless it has more uses than the right one; ``right`` says which one this replay
    fuses."""

    def add(lhs: Any, rhs: Any) -> Any:
        out = natural(lhs, rhs)
        t = out.data.dtype
        if t not in _FUSED:
            return out
        right_fused = _FACTORS in rhs.attr and (_FACTORS not in lhs.attr or right)
        if _FACTORS in lhs.attr and not right_fused:  # a * b +- c
            (x, y), z = lhs.attr[_FACTORS], (t.type(sign) * rhs.data).astype(t)
        elif right_fused:  # c +- a * b
            (x, y), z = rhs.attr[_FACTORS], lhs.data.astype(t)
            x = (t.type(sign) * x).astype(t)
        else:
            return out
        fused = fma(x, y, z).reshape(out.data.shape)
        if not np.array_equal(fused, out.data, equal_nan=True):
            sem.applied.add("fma contraction")
        out.data = fused
        return out

    return add


def _frem(natural: Callable, fma: Callable, sem: Semantics) -> Callable:
    """NVPTX has no float remainder: ``frem`` becomes ``div.rn``, ``cvt.rzi`` and ``fma.rn``
    (x - trunc(x / y) * y, rounded once; x itself where y is infinite), which is not C's exact
    ``fmod`` once the quotient is past the type's integers, in float32 and float64 alike."""

    def rem(lhs: Any, rhs: Any) -> Any:
        out = natural(lhs, rhs)
        t = out.data.dtype
        if t not in (np.float32, np.float64):
            return out
        x, y = np.broadcast_arrays(lhs.data.astype(t), rhs.data.astype(t))
        with np.errstate(all="ignore"):
            lowered = np.where(np.isinf(y), x, fma(-np.trunc(np.divide(x, y)), y, x))
        lowered = np.asarray(lowered, dtype=t).reshape(out.data.shape)
        if not np.array_equal(lowered, out.data, equal_nan=True):
            sem.applied.add("float remainder")
        out.data = lowered
        return out

    return rem


# --- the min/max of +0.0 and -0.0 ---------------------------------------------------------------


# Float types the interpreter stores as their bits (``interp_floats``), by the bit that holds
# their sign, where they have a -0.0 (the fnuz float8 types have none: 0x80 is their NaN).
_SIGN_BITS = {"bf16": 0x8000, "fp8e4nv": 0x80, "fp8e5": 0x80}


def _sign_bit(handle: Any) -> int | None:
    return _SIGN_BITS.get(getattr(getattr(handle, "dtype", None), "name", None))


def _zero_bits(d: np.ndarray, mask: int) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``d``'s bit patterns are zeros, and which of those are -0.0."""
    zero = (d & ~np.asarray(mask, d.dtype)) == 0
    return zero, zero & ((d & np.asarray(mask, d.dtype)) != 0)


def _zeros(natural: Callable, sem: Semantics, kind: str, nan: str, right: bool) -> Callable:
    """``maxnum``/``minnum`` of +0.0 and -0.0 may return either (LLVM LangRef); NumPy's ``fmax``
    returns its second operand. ``maximum``/``minimum`` order -0.0 below +0.0, as NVIDIA's
    ``max.f32`` does. A replay whose ``right`` is false takes the GPU's ordered choice for the
    ``num`` forms too, the next one the other zero, so a gate on the sign meets both."""
    ordered = nan == "imum" or not right

    def op(lhs: Any, rhs: Any) -> Any:
        out = natural(lhs, rhs)
        d = out.data
        mask = _sign_bit(out)
        if d.dtype not in _FUSED and mask is None:
            return out
        a, b = np.broadcast_arrays(lhs.data, rhs.data)
        if mask is None:
            tie = (a == 0) & (b == 0) & (np.signbit(a) != np.signbit(b))
        else:  # bfloat16, float8: the sign is a bit of the stored integer
            (za, na), (zb, nb) = _zero_bits(a, mask), _zero_bits(b, mask)
            tie = za & zb & (na != nb)
        if not tie.any():
            return out
        negative = (kind == "min") == ordered  # ordered: max +0.0, min -0.0
        if mask is not None:
            moved = np.where(tie.reshape(d.shape), d.dtype.type(mask if negative else 0), d)
            if (moved != d).any():
                sem.applied.add("signed zero min/max")
            out.data = moved.astype(d.dtype)
            return out
        zero = np.copysign(d.dtype.type(0), d.dtype.type(-1.0 if negative else 1.0))
        moved = np.where(tie.reshape(d.shape), zero, d).astype(d.dtype)
        if (np.signbit(moved) != np.signbit(d)).any():
            sem.applied.add("signed zero min/max")
        out.data = moved
        return out

    return op


def _zero_tie(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == 0) & (b == 0) & (np.signbit(a) != np.signbit(b))


def _zero_clamp(natural: Callable, interp: Any, sem: Semantics, right: bool) -> Callable:
    """``tl.clamp`` is a max and then a min (``maxnum``/``minnum``, or ``maximum``/``minimum``
    for propagate_nan=ALL), so each of its ties of +0.0 and -0.0 is one of ``_zeros``: the
    interpreter's ``np.fmax``/``np.fmin``/``np.clip`` return whichever operand their loop
    does (the first on scalar lanes, the second on SIMD ones). A zero result takes the sign of
    the clamp in this replay's order of the zeros: -0.0 < +0.0 (ordered), else +0.0 < -0.0."""
    propagate_all = interp._ir.PROPAGATE_NAN.ALL

    def clamp(arg: Any, lo: Any, hi: Any, propagate_nans: Any) -> Any:
        out = natural(arg, lo, hi, propagate_nans)
        d = out.data
        if d.dtype not in _FUSED or not (d == 0).any():
            return out
        ordered = propagate_nans == propagate_all or not right
        big, small = (d.dtype.type(0), d.dtype.type(-0.0))[:: 1 if ordered else -1]
        x, low, high = np.broadcast_arrays(arg.data, lo.data, hi.data)
        with np.errstate(invalid="ignore"):
            m = np.fmax(x, low)
            m = np.where(_zero_tie(x, low), big, m)
            r = np.where(_zero_tie(m, high), small, np.fmin(m, high))
        r = r.reshape(d.shape).astype(d.dtype)
        moved = np.where(d == 0, np.copysign(d, r), d).astype(d.dtype)
        if (np.signbit(moved) != np.signbit(d)).any():
            sem.applied.add("signed zero min/max")
        out.data = moved
        return out

    return clamp


def _zero_reduce(natural: Callable, sem: Semantics, right: bool) -> Callable:
    """``tl.max``/``tl.min`` fold ``maxnum``/``minnum`` (``_elementwise_max``/``_min``): where
    the extreme is a zero and both zeros are among the operands, the compiled fold's ties give
    either sign (``max.f32`` orders them, as in ``_zeros``), NumPy's ``nanmax`` whichever its
    loop met. argmax/argmin (an index asked for) compare with ``==`` and keep their operand's
    value; they are left as they are."""

    def min_max(self: Any, input: Any, val_reduce_op: Any, idx_reduce_op: Any = None) -> Any:
        out = natural(self, input, val_reduce_op, idx_reduce_op)
        kind = {np.nanmax: "max", np.nanmin: "min"}.get(val_reduce_op)
        t = input[0] if isinstance(input, tuple) else input
        data = t.handle.data
        mask = _sign_bit(t.handle)
        if kind is None or idx_reduce_op is not None or (data.dtype not in _FUSED and not mask):
            return out
        v = out.handle.data
        axis, keep = self.axis, self.keep_dims
        if mask is None:
            zero_in, negative_in = data == 0, np.signbit(data)
            zero_out = v == 0
        else:  # bfloat16, float8: the sign is a bit of the stored integer
            zero_in, negative_in = _zero_bits(data, mask)
            zero_out = _zero_bits(v, mask)[0]
        signs = [
            np.any(zero_in & (negative_in == s), axis=axis, keepdims=keep) for s in (False, True)
        ]
        tie = zero_out & np.reshape(signs[0] & signs[1], v.shape)
        if not tie.any():
            return out
        negative = (kind == "min") != right  # as ``_zeros`` for the num forms
        if mask is not None:
            moved = np.where(tie, v.dtype.type(mask if negative else 0), v).astype(v.dtype)
            if (moved != v).any():
                sem.applied.add("signed zero min/max")
            out.handle.data = moved
            return out
        zero = np.copysign(v.dtype.type(0), v.dtype.type(-1.0 if negative else 1.0))
        moved = np.where(tie, zero, v).astype(v.dtype)
        if (np.signbit(moved) != np.signbit(v)).any():
            sem.applied.add("signed zero min/max")
        out.handle.data = moved
        return out

    return min_max


# --- reshapes and cats that may reorder ---------------------------------------------------------


class _Shuffles:
    """The order one replay gives the elements of a reshape or cat that may reorder, drawn once
    per pair of shapes: a compiled op keeps each thread's registers and picks a layout for the
    result, so any order is legal, and the same op on the same shapes orders alike (a pointer
    tensor and a value tensor reshaped alike still pair up)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.drawn: dict[tuple, np.ndarray] = {}

    def of(self, key: tuple, size: int) -> np.ndarray:
        if key not in self.drawn:
            p = self.rng.permutation(size)
            while size > 1 and (p == np.arange(size)).all():
                p = self.rng.permutation(size)
            self.drawn[key] = p
        return self.drawn[key]


def _shuffled(out: Any, order: np.ndarray, sem: Semantics) -> Any:
    d = out.data
    if d.size > 1:
        sem.applied.add("reordered reshape")
        out.data = np.ascontiguousarray(d).reshape(-1)[order].reshape(d.shape)
    return out


def _reordered_reshape(natural: Callable, sem: Semantics, shuffles: _Shuffles) -> Callable:
    """``tl.reshape(..., can_reorder=True)`` and ``tl.view``: ``np.reshape``, then permuted."""

    def reshape(arg: Any, shape: Any, allow_reorder: Any) -> Any:
        out = natural(arg, shape, allow_reorder)
        if not allow_reorder:
            return out
        key = ("reshape", arg.data.shape, out.data.shape)
        return _shuffled(out, shuffles.of(key, out.data.size), sem)

    return reshape


def _reordered_cat(natural: Callable, sem: Semantics, shuffles: _Shuffles) -> Callable:
    """``tl.cat`` (Triton builds it only with can_reorder=True): ``np.concatenate``, permuted."""

    def cat(lhs: Any, rhs: Any) -> Any:
        out = natural(lhs, rhs)
        key = ("cat", lhs.data.shape, rhs.data.shape)
        return _shuffled(out, shuffles.of(key, out.data.size), sem)

    return cat
