"""Diagnoses that turn a failed check into an actionable next step for the model.

``diagnose_mismatch`` runs in the checker's parent process on the candidate's output and
the reference (stored in ``Outcome.details["mismatch"]``); ``diagnose_compile_error`` reads an
error text (a Triton ``CompilationError``, an interpreter traceback or a plain message) and
the candidate's code (stored in ``Outcome.details["compile"]``). Both return JSON-able dicts;
``render.render_feedback`` reads them back.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch loads when a diagnosis runs, not with the prompts
    import torch

# ---------------------------------------------------------------------------------------
# Wrong answers
# ---------------------------------------------------------------------------------------

MAX_BAD_INDICES = 5
# Sorting for the "right values, wrong places" test costs O(n log n); skip it beyond this.
PERMUTATION_NUMEL_LIMIT = 1 << 24
# Outputs above this many elements are diagnosed in float32 instead of float64 (memory).
FLOAT64_NUMEL_LIMIT = 1 << 24
# Row-constant patterns are judged on at most this many wrong rows.
MAX_ROWS_CHECKED = 256
SCAN_CHUNK = 1 << 20
# A trailing region counts as "the tail is wrong" when at least this share of it is wrong:
# an unwritten tail of a zero-initialised output is right wherever the reference is zero
# (a ReLU's negative inputs), so a tail need not be wrong everywhere.
TAIL_WRONG = 0.25
# Shifts (in elements, along the last dimension or memory order) tried for an off-by-one.
SHIFTS = (1, -1, 2, -2)
# A shift explains the output when this share of the overlapping elements then matches.
SHIFT_MATCH = 0.9

DIAGNOSES = {
    "within_tolerance": "Every element is within atol/rtol, with no pattern in the error: "
    "the failed check above says what is wrong.",
    "all_nan": "Every element is NaN: the output was never written (fresh memory is filled with "
    "NaN by the checker: a grid of zero programs, e.g. n // BLOCK with n < BLOCK, or atomics "
    "accumulating into torch.empty instead of torch.zeros), or every value overflowed (exp "
    "of large values, 0/0).",
    "constant": "Every element equals {value}: the output was never written, or the kernel "
    "stored to another tensor (check the store pointer, the grid, and that you return the "
    "tensor the kernel writes).",
    "transposed": "The values are right but transposed: the row and column strides are swapped "
    "(pass x.stride(0), x.stride(1) in the order the kernel uses them).",
    "rows_identical": "Every row holds the same values: the row offset (program id times the "
    "row stride) is missing from the pointers, so every program reads or writes one row.",
    "tail": "Only the tail is wrong: {where}; everything before it is right. The last, partial "
    "block is not handled: the grid must use triton.cdiv (not //), and every load and store "
    "needs mask=offs < n (with a neutral `other` for loads). Sizes come from the tensors "
    "(x.shape, x.numel()), never hard-coded.",
    "global_scale": "Every wrong element is off by the same factor {factor:.4g}: a missing or "
    "wrong scale (softmax scale, 1/n of a mean, a normalising divide).",
    "row_scale": "Each row is off by its own constant factor (rows: {factors}): a normalisation "
    "bug: the divide by the row sum / norm is missing or uses the wrong sum "
    "(masked lanes must load `other` neutral for the reduction).",
    "global_offset": "Every wrong element is off by the same amount {offset:.4g}: a missing or "
    "extra additive term (bias, epsilon, a subtracted constant), or masked lanes loading a "
    "non-neutral `other` into a sum.",
    "row_offset": "Each row is off by its own constant amount (rows: {offsets}): a per-row term "
    "is missing, e.g. the max or log-sum-exp subtraction of a log-softmax or a mean, or "
    "masked lanes load a non-neutral `other` into the row's reduction.",
    "nan": "{count} NaN/Inf where the reference is finite (first at {first}): masked loads "
    "without a neutral `other` (-inf for max, 0 for sums), a division by a zero sum, exp "
    "of unshifted values, reading memory that was never written, or atomics accumulating "
    "into torch.empty instead of torch.zeros.",
    "precision": "Small errors just over tolerance (worst {excess:.3g}x the allowed error): "
    "accumulate in fp32 (.to(tl.float32), tl.zeros(..., dtype=tl.float32)), cast only at "
    'the store, and give fp32 tl.dot input_precision="tf32x3" or "ieee" (default TF32 '
    "keeps 10 mantissa bits).",
    "half_precision": "Small errors just over tolerance (worst {excess:.3g}x the allowed "
    "error), and the kernel computes in {half} while the output is {dtype}: keep loads, "
    "accumulators and intermediate values in tl.float32 and cast only at the store.",
    "shifted": "The values are shifted by {shift} element(s) along {where}: an off-by-one "
    "offset (a load or store at offs + 1, a start index one off, or a pointer advanced "
    "once too often).",
    "permuted": "The right values in the wrong places: an index or stride bug (check how "
    "offsets are built from program ids, block indices and strides).",
    "scattered": "{pct} of elements are wrong, spread over {box}; no recognised pattern.",
    "out_of_bounds": "A load or store reached memory outside every tensor the kernel was "
    "given: on a GPU an illegal memory access or silent corruption, even where a later mask "
    "hides the values. Mask every load and store to the valid lanes (mask=offs < n, not <=; "
    "a load needs its mask as much as the store), check each offset for an off-by-one, and "
    "take sizes from the tensors, never hard-coded.",
}


# The bug classes of the mutation catalogue (evals/mutants.py) each diagnosis names as a
# cause: what `kernelwright mutate` scores the diagnoses by.
PATTERN_CLASSES: dict[str, tuple[str, ...]] = {
    "all_nan": ("grid", "zero_init"),
    "constant": ("grid",),
    "transposed": ("strides",),
    "rows_identical": ("offset", "strides"),
    "tail": ("mask", "grid", "other", "size"),
    "out_of_bounds": ("mask", "offset", "size"),
    "global_scale": ("scale",),
    "row_scale": ("scale", "other"),
    "global_offset": ("scale", "other"),
    "row_offset": ("scale", "other"),
    "nan": ("mask", "other", "zero_init"),
    "precision": ("precision",),
    "half_precision": ("precision",),
    "shifted": ("offset",),
    "permuted": ("offset", "strides"),
}


def diagnose_mismatch(
    out: torch.Tensor, ref: torch.Tensor, atol: float, rtol: float, code: str | None = None
) -> dict:
    """Where ``out`` differs from ``ref`` (same shape) beyond ``atol + rtol*|ref|``, and why.

    ``code``: the candidate's source, when known. Small errors are blamed on precision only
    where the code could cause them (a ``tl.dot``, or float16/bfloat16 arithmetic), never on
    a 0-d or one-element output, whose rounding depends on the reduction order.

    Keys: shape, dtype, numel, n_wrong, frac_wrong, max_abs, max_rel (over |ref| > atol),
    nan_count, inf_count, ref_nan_count, first_bad_indices ([{index, got, expected}]),
    bad_box (per dimension [first, last] index of wrong elements), pattern, diagnosis.
    """
    import torch

    dtype = torch.float64 if ref.numel() <= FLOAT64_NUMEL_LIMIT else torch.float32
    # On the reference's device: CUDA tensors are diagnosed on the GPU, where large is fast.
    r = ref.detach().to(dtype)
    o = out.detach().to(r.device, dtype)
    result: dict[str, Any] = {
        "shape": list(ref.shape),
        "dtype": str(ref.dtype).removeprefix("torch."),
        "numel": r.numel(),
    }
    if o.shape != r.shape:
        result.update(
            pattern="shape",
            diagnosis=f"The output has shape {list(out.shape)}, the reference {list(ref.shape)}.",
        )
        return result
    diff = (o - r).abs()
    bad = ~_close_mask(o, r, diff, atol, rtol)
    n_bad = int(bad.sum())
    finite_diff = diff.nan_to_num(nan=0.0, posinf=0.0)  # 0 where either side is NaN/Inf
    big_ref = r.abs() > atol
    rel = torch.where(big_ref, finite_diff / r.abs().clamp_min(atol), 0.0)
    nan_o = torch.isnan(o)
    result.update(
        n_wrong=n_bad,
        frac_wrong=n_bad / max(1, r.numel()),
        max_abs=_num(finite_diff.max()) if r.numel() else None,
        max_rel=_num(rel.max()) if bool(big_ref.any()) else None,
        nan_count=int(nan_o.sum()),
        inf_count=int(torch.isinf(o).sum()),
        ref_nan_count=int(torch.isnan(r).sum()),
    )
    first = [_unravel(i, r.shape) for i in _first_true(bad.reshape(-1), MAX_BAD_INDICES)]
    result["first_bad_indices"] = [
        {"index": idx, "got": _num(o[tuple(idx)]), "expected": _num(r[tuple(idx)])} for idx in first
    ]
    result["bad_box"] = [_span(_along(bad, d)) for d in range(r.dim())] if n_bad else []
    pattern, fields = _classify(o, r, bad, atol, rtol, code, result["dtype"])
    prefix = ""
    if pattern == "within_tolerance" and ref.is_floating_point():
        # Another check failed (the error against the reference's spread): the tolerance
        # hides the error, so look for its pattern at the output dtype's own rounding.
        fine_atol, fine_rtol = _rounding(ref, r)
        fine = ~_close_mask(o, r, diff, fine_atol, fine_rtol)
        if fine.any():
            found, found_fields = _classify(o, r, fine, fine_atol, fine_rtol, code, result["dtype"])
            if found in HIDDEN_PATTERNS:
                pattern, fields = found, found_fields
                prefix = "Every element is within atol/rtol, but the error has a pattern: "
    result["pattern"] = pattern
    if pattern == "scattered":
        fields = {"pct": f"{100 * result['frac_wrong']:.3g}%", "box": _box(result["bad_box"])}
    result["diagnosis"] = prefix + DIAGNOSES[pattern].format(**fields)
    return result


# Patterns that name a cause even when the error is under the tolerance; the others
# (precision, scattered) describe errors by their size against the tolerance.
HIDDEN_PATTERNS = (
    "constant",
    "transposed",
    "rows_identical",
    "tail",
    "shifted",
    "global_scale",
    "row_scale",
    "global_offset",
    "row_offset",
    "permuted",
)


def _rounding(ref: torch.Tensor, r: torch.Tensor) -> tuple[float, float]:
    """atol and rtol at a few roundings of the reference's dtype: what a correct kernel meets."""
    import torch

    eps = torch.finfo(ref.dtype).eps
    finite = r[torch.isfinite(r)]
    rms = float(finite.pow(2).mean().sqrt()) if finite.numel() else 0.0
    return eps * rms, 4 * eps


def _num(x: torch.Tensor | float) -> float | str:
    v = float(x)
    if math.isnan(v) or math.isinf(v):
        return str(v)  # JSON has no NaN/Inf
    return float(f"{v:.6g}")


def _first_true(flat: torch.Tensor, k: int) -> list[int]:
    """Flat indices of the first k true elements, scanning in chunks (outputs can be huge)."""
    found: list[int] = []
    for start in range(0, flat.numel(), SCAN_CHUNK):
        hits = flat[start : start + SCAN_CHUNK].nonzero().reshape(-1)[: k - len(found)]
        found += (hits + start).tolist()
        if len(found) >= k:
            break
    return found


def _unravel(index: int, shape: torch.Size) -> list[int]:
    out = []
    for size in reversed(shape):
        out.append(index % size)
        index //= size
    return out[::-1]


def _along(mask: torch.Tensor, d: int) -> torch.Tensor:
    """[size of dim d, rest]: the mask with dimension d first, the others flattened."""
    return mask.movedim(d, 0).reshape(mask.shape[d], -1)


def _span(per_index: torch.Tensor) -> list[int]:
    hit = per_index.any(dim=1).nonzero().reshape(-1)
    return [int(hit[0]), int(hit[-1])]


def _box(box: list[list[int]]) -> str:
    return "indices " + " x ".join(f"[{a}..{b}]" for a, b in box) if box else "the scalar"


def _classify(o, r, bad, atol, rtol, code: str | None, dtype: str) -> tuple[str, dict[str, Any]]:
    import torch

    if not bad.any():
        return "within_tolerance", {}
    if bool(torch.isnan(o).all()):
        return "all_nan", {}
    flat_o = o.reshape(-1)
    if (
        o.numel() > 1
        and bool((flat_o == flat_o[0]).all())
        and not bool((r == r.reshape(-1)[0]).all())
    ):
        return "constant", {"value": _num(flat_o[0])}

    def close(a, b):
        return _all_close(a, b, atol, rtol)

    if o.dim() >= 2:
        rows, cols = o.shape[-2], o.shape[-1]
        if rows == cols and close(o, r.transpose(-1, -2)):
            return "transposed", {}
        if rows != cols and close(o.reshape(*o.shape[:-2], cols, rows).transpose(-1, -2), r):
            return "transposed", {}
        o_rows = o.reshape(-1, cols)
        r_rows = r.reshape(-1, cols)
        if o_rows.shape[0] > 1 and close(o_rows, o_rows[:1].expand_as(o_rows)):
            if not close(r_rows, r_rows[:1].expand_as(r_rows)):
                return "rows_identical", {}
    where = _tail(bad)
    if where:
        return "tail", {"where": where}
    shifted = _shifted(o, r, atol, rtol)
    if shifted:
        return "shifted", shifted
    scaled = _row_constant(o, r, bad, atol, rtol)
    if scaled:
        return scaled
    nonfinite = ~torch.isfinite(o) & torch.isfinite(r)
    if nonfinite.any():
        first = _unravel(_first_true(nonfinite.reshape(-1), 1)[0], o.shape)
        return "nan", {"count": int(nonfinite.sum()), "first": first}
    allowed = atol + rtol * r.abs()
    excess = float(((o - r).abs() / allowed).max())
    if excess < 10 and o.numel() > 1:
        if code is None or re.search(r"\btl\.dot\b|\bdot\(", code):
            return "precision", {"excess": excess}
        half = re.search(r"\btl\.(float16|bfloat16)\b", code)
        if half and dtype in ("float32", "float64"):
            return "half_precision", {"excess": excess, "half": half[1], "dtype": dtype}
    if r.numel() <= PERMUTATION_NUMEL_LIMIT and close(
        torch.sort(o.reshape(-1)).values, torch.sort(r.reshape(-1)).values
    ):
        return "permuted", {}
    return "scattered", {}


def _close_mask(o, r, diff, atol: float, rtol: float) -> torch.Tensor:
    """torch.isclose(o, r, equal_nan=True), in fewer passes over large outputs."""
    import torch

    ok = diff <= atol + rtol * r.abs()
    ok |= o == r  # equal infinities
    ok |= torch.isnan(o) & torch.isnan(r)
    return ok


def _all_close(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float) -> bool:
    """Whether every element matches; most candidate layouts fail on the first rows already."""
    head = (slice(None),) * (a.dim() - 2) + (slice(0, 8),) if a.dim() >= 2 else (slice(0, 4096),)
    for x, y in ((a[head], b[head]), (a, b)):
        if not bool(_close_mask(x, y, (x - y).abs(), atol, rtol).all()):
            return False
    return True


def _tail(bad: torch.Tensor) -> str | None:
    """Where the wrong elements are, if they all lie in a trailing region (which need not be
    wrong everywhere, only densely)."""
    n = bad.numel()
    flat = bad.reshape(-1)
    first = _first_true(flat, 1)[0]
    if first > 0 and n - first <= n // 2 and int(flat[first:].sum()) >= TAIL_WRONG * (n - first):
        return f"flat elements {first}..{n - 1} (the last {n - first} of {n} in memory order)"
    for d in reversed(range(bad.dim())):
        size = bad.shape[d]
        if size < 2:
            continue
        per_index = _along(bad, d)
        hit = per_index.any(dim=1)
        k = int(hit.nonzero()[0])
        tail_wrong = int(per_index[k:].sum()) / per_index[k:].numel()
        if (
            k > 0
            and size - k <= size // 2
            and float(hit[k:].float().mean()) >= 0.5
            and tail_wrong >= TAIL_WRONG
        ):
            return f"indices {k}..{size - 1} of dimension {d} (the last {size - k} of {size})"
    return None


def _shifted(o, r, atol: float, rtol: float) -> dict[str, Any] | None:
    """A shift of a few elements that makes the output match the reference where both exist:
    out[i + s] == ref[i] along the last dimension or in memory order."""
    import torch

    for where, a, b in (
        ("the last dimension", o, r),
        ("memory order", o.reshape(-1), r.reshape(-1)),
    ):
        if a.dim() == 0 or a.shape[-1] < 8:
            continue
        for s in SHIFTS:
            x, y = (a[..., s:], b[..., :-s]) if s > 0 else (a[..., :s], b[..., -s:])
            ok = _close_mask(x, y, (x - y).abs(), atol, rtol) & torch.isfinite(y)
            if float(ok.double().mean()) >= SHIFT_MATCH:
                return {"shift": s, "where": where}
    return None


def _row_constant(o, r, bad, atol, rtol) -> tuple[str, dict[str, Any]] | None:
    """Rows whose wrong elements are all off by one factor (or one offset) per row."""
    import torch

    cols = o.shape[-1] if o.dim() else 1
    o2, r2, b2 = (t.reshape(-1, cols) for t in (o, r, bad))
    hit = b2.any(dim=1).nonzero().reshape(-1)[:MAX_ROWS_CHECKED]
    o2, r2 = o2[hit], r2[hit]
    finite = torch.isfinite(o2) & torch.isfinite(r2)
    limit = max(2 * rtol, 1e-4)
    nan = torch.tensor(float("nan"), dtype=o2.dtype, device=o2.device)
    valid = finite & (r2.abs() > atol)
    if bool((valid.sum(dim=1) >= 2).all()):
        ratio = torch.where(valid, o2 / r2, nan)
        f = ratio.nanmedian(dim=1).values
        spread = torch.where(valid, (ratio - f[:, None]).abs(), 0).amax(dim=1)
        consistent = bool(((spread <= limit * f.abs()) & (f != 0)).all())
        if consistent and bool(((f - 1).abs() > limit).any()):
            if float(f.max() - f.min()) <= limit * float(f.abs().max()):
                return "global_scale", {"factor": float(f[0])}
            return "row_scale", {"factors": _few(f.tolist())}
    if bool((finite.sum(dim=1) >= 2).all()):
        delta = torch.where(finite, o2 - r2, nan)
        c = delta.nanmedian(dim=1).values
        scale = torch.where(finite, r2.abs(), 0).sum(dim=1) / finite.sum(dim=1)
        spread = torch.where(finite, (delta - c[:, None]).abs(), 0).amax(dim=1)
        if bool((spread <= atol + limit * scale).all()) and bool((c.abs() > atol).any()):
            if float(c.max() - c.min()) <= atol + limit * float(c.abs().max()):
                return "global_offset", {"offset": float(c[0])}
            return "row_offset", {"offsets": _few(c.tolist())}
    return None


def _few(values: list[float]) -> str:
    shown = ", ".join(f"{v:.4g}" for v in values[:4])
    return shown + (f", ... ({len(values)} rows)" if len(values) > 4 else "")


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------

# (rule, pattern in the error text, hint): the first match wins, so specific before general.
HINTS: tuple[tuple[str, str, str], ...] = (
    (
        "libdevice",
        r"libdevice",
        "Triton's CPU interpreter has no libdevice: use tl math (tl.exp, tl.log, tl.sqrt, "
        "tl.erf, tl.sigmoid) or kwlib helpers (tanh, gelu_tanh) instead.",
    ),
    (
        "arange_pow2",
        r"arange's range must be a power of 2",
        "tl.arange(0, N) needs N to be a power of two: pass BLOCK = "
        "triton.next_power_of_2(n) from the host and mask lanes >= n.",
    ),
    (
        "global",
        r"Cannot access global variable",
        "Kernels only read globals created as tl.constexpr(value): pass the value as an "
        "argument instead.",
    ),
    (
        "constexpr",
        r"must be of type tl\.constexpr|is not a constexpr|must be a constexpr|"
        r"must be constexpr|constexpr\[",
        "Values that set a shape (block sizes, tl.arange bounds, tl.zeros shapes) must be "
        "`NAME: tl.constexpr` parameters, passed by keyword at launch (kernel[grid](..., BLOCK=128)).",
    ),
    (
        "dot_shape",
        r"M >= 16|N >= 16|K >= 16|>= 16|at least 16",
        "tl.dot needs every tile dimension >= 16: raise BLOCK_M/BLOCK_N/BLOCK_K to at least 16 "
        "and mask the extra rows and columns.",
    ),
    (
        "input_precision",
        r"input_precision must be one of",
        'tl.dot input_precision is one of "tf32", "tf32x3", "ieee" (use "tf32x3" or "ieee" '
        "for fp32 accuracy).",
    ),
    (
        "loop_type",
        r"Loop-carried variable",
        "A variable changes dtype or shape inside a loop: initialise it with its final type "
        "(acc = tl.zeros([BM, BN], dtype=tl.float32)) and keep updates in that type.",
    ),
    (
        "shape",
        r"make_shape_compatible|incompatible dimensions|Value argument cannot be block type",
        "Blocks of different shapes meet here: build 2-D offsets as rows[:, None] and "
        "cols[None, :], use one BLOCK for operands that combine, and give tl.store a pointer "
        "block of the value's shape.",
    ),
    (
        "pointer",
        r"Unsupported ptr type|invalid operands of type pointer|pointer<",
        "tl.load/tl.store take a pointer block (base_ptr + integer offsets) first and the "
        "value second; offsets must be integer tensors, not floats.",
    ),
    (
        "tensor_control_flow",
        r"Boolean value of Tensor|ambiguous|unsupported AST node type|"
        r"UnsupportedLanguageConstruct",
        "Kernels cannot branch per element or use break/continue/try/with: select with "
        "tl.where, bound loops with range(...) and masks; `if` only on scalars or constexprs.",
    ),
    (
        "torch_in_kernel",
        r"Unsupported function referenced|must be Tensor, not tensor",
        "torch functions cannot run inside a @triton.jit kernel: use tl.* operations there.",
    ),
    (
        "not_jit",
        r"Did you forget to add @triton\.jit|outside of the scope of a kernel",
        "A tl.* function or a @triton.jit helper was called outside a kernel, or a helper the "
        "kernel calls lacks @triton.jit.",
    ),
    (
        "autotune",
        r"Conflicting meta-parameters",
        "Do not pass autotuned parameters at launch: the autotuner supplies them.",
    ),
    (
        "shared_memory",
        r"out of resource|OutOfResources",
        "The tiles need more shared memory or registers than the SM has: lower the BLOCK "
        "sizes or num_stages.",
    ),
    (
        "out_of_bounds",
        r"illegal memory access|out of bounds|misaligned address|SIGSEGV|[Ss]egmentation fault",
        "An out-of-bounds access: every load and store whose offsets can pass the end needs "
        "mask=offs < n; check the strides, and use int64 offsets past 2**31 elements.",
    ),
    (
        "launch_args",
        r"missing \d+ required positional argument|takes \d+ positional argument|"
        r"got an unexpected keyword argument",
        "The launch's arguments do not match the kernel's parameters: pass every parameter, "
        "constexprs by keyword.",
    ),
    (
        "name",
        r"NameError|is not defined",
        "A name used here is not defined: import it, or pass it to the kernel as an argument.",
    ),
)

_TRITON_BLOCK = re.compile(r"at (\d+):(\d+):\n((?:.*\n)*?)\s*\^\s*\n(.+)")
_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)\n(?:(\s+)(.*)\n)?', re.M)
_CHAIN = re.compile(
    r"\n\s*(?:The above exception was the direct cause of the following exception:|"
    r"During handling of the above exception, another exception occurred:)\s*\n"
)
_LIBRARY = re.compile(
    r"site-packages|dist-packages|/lib/python\d|^<frozen|/kernelwright/|/sandbox/"
)
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)\b.*)$", re.M)


def diagnose_compile_error(error_text: str, code: str) -> dict:
    """The first error in ``error_text``, the candidate line it points to, and a hint.

    Keys: error (one line), line (1-based in ``code``) or None, source_line, function,
    rule (a HINTS key) or None, hint or None.
    """
    code_lines = code.splitlines()
    result: dict[str, Any] = {"error": "", "line": None, "source_line": None, "function": None}
    block = _TRITON_BLOCK.search(error_text)
    if block:
        rel, snippet, message = int(block.group(1)), block.group(3), block.group(4)
        result["error"] = message.strip()
        snippet_lines = snippet.rstrip("\n").splitlines()
        header = re.match(r"\s*def\s+(\w+)", snippet_lines[0]) if snippet_lines else None
        if header:
            result["function"] = header.group(1)
        result["line"] = _locate(code_lines, result["function"], rel, snippet_lines[-1:])
    else:
        frame = _candidate_frame(error_text, code_lines)
        if frame:
            result["line"], result["function"] = frame
        result["error"] = _exception_line(error_text)
        if result["line"] is None:
            m = re.search(r"\bline (\d+)\b", error_text)
            if m and 0 < int(m.group(1)) <= len(code_lines):
                result["line"] = int(m.group(1))
    if result["line"] is not None:
        result["source_line"] = code_lines[result["line"] - 1].strip()
    result["rule"], result["hint"] = None, None
    haystack = f"{error_text}\n{result['source_line'] or ''}"
    for rule, pattern, hint in HINTS:
        if re.search(pattern, haystack):
            result["rule"], result["hint"] = rule, hint
            break
    return result


def _locate(code_lines: list[str], function: str | None, rel: int, last: list[str]) -> int | None:
    """Absolute line of a Triton error given as (line within the function, snippet)."""
    if function:
        for i, line in enumerate(code_lines):
            if re.match(rf"\s*def\s+{re.escape(function)}\s*\(", line):
                target = i + rel
                if 0 < target <= len(code_lines):
                    return target
    if last and last[0].strip():
        hits = [i + 1 for i, line in enumerate(code_lines) if line.strip() == last[0].strip()]
        if len(hits) == 1:
            return hits[0]
    return None


def _candidate_frame(text: str, code_lines: list[str]) -> tuple[int, str] | None:
    """The deepest frame of the candidate in the root-cause traceback."""
    for part in _CHAIN.split(text):
        found = None
        for m in _FRAME.finditer(part):
            path, line, func, shown = m.group(1), int(m.group(2)), m.group(3), m.group(5)
            if _LIBRARY.search(path) or not 0 < line <= len(code_lines):
                continue
            if shown is not None and shown.strip() != code_lines[line - 1].strip():
                continue
            found = (line, func)
        if found:
            return found
    return None


def _exception_line(text: str) -> str:
    """The root cause's exception line: the first traceback block's last exception line."""
    for part in _CHAIN.split(text):
        lines = _EXC_LINE.findall(part)
        if lines:
            return lines[-1].strip()
    stripped = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return stripped[-1] if stripped else ""


# ---------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------


def cut_middle(text: str, budget: int) -> str:
    """``text`` within ``budget`` characters, keeping its head and tail and saying what was cut."""
    if len(text) <= budget:
        return text
    marker = "\n[... {} characters cut ...]\n"
    keep = max(0, budget - len(marker.format(len(text))))
    head = keep * 2 // 5
    tail = keep - head
    cut = len(text) - head - tail
    return text[:head] + marker.format(cut) + (text[-tail:] if tail else "")
