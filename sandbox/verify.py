"""Comparison of a candidate's outputs with the reference, in the parent process.

The parent never imports a candidate, so nothing here can have been patched by one.
Beyond an elementwise ``allclose`` (NaN and Inf strict), a second test measures the
error against the reference's own spread: where the reference is near-constant or
near zero (softmax over a wide row), zeros or a constant pass ``allclose`` but fail
this one, unless the reference really is that constant at the dtype's precision.

Precision is judged against a float64 reference (the same Model, same weights, run in float64
on the same inputs): a candidate's rms error against it may be at most PRECISION_FACTOR times
the error the reference itself makes at the problem's dtype, or times what rounding alone
costs at that dtype, whichever is larger. An fp32 problem computed in fp16 is thousands of
times less precise than its reference and fails; a kernel that sums in another order is a
few times off at most and passes. The declared atol/rtol stay an outer bound on every element.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

# Error may be at most this fraction of the reference's variation around its mean.
SPREAD_TOL = 0.05
# ...unless that is below what rounding to the dtype alone produces, in units of eps.
EPS_FLOOR = 4.0
# A candidate's error against float64 may be this many times the reference's own error...
PRECISION_FACTOR = 16.0
# ...or this many times what rounding alone costs: a sum of L terms in the worst (sequential)
# order misses by about eps * sqrt(L) of its scale; any honest order does no worse. Four, not
# one: a GPU's approximate exp and division and its fused multiply-adds each miss by up to an ulp
# or two more, and the perturbed replays (semantics.py) compute them so (a softmax over 16,384
# columns at inputs x100 came out at 1.25x a single rounding); any lower precision than the
# dtype's is thousands of roundings off.
ROUNDING_FACTOR = 4.0


@dataclass
class Comparison:
    ok: bool
    detail: str
    mismatch: dict[str, Any] = field(default_factory=dict)


def bitwise_equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) != isinstance(b, torch.Tensor):
        return False
    if not isinstance(a, torch.Tensor):
        return a == b
    return comparable(a, b) and torch.equal(_bytes(a), _bytes(b))


def comparable(a: Any, b: Any) -> bool:
    """Two tensors whose values can be set side by side: same shape, dtype, device type and
    layout."""
    return (
        isinstance(a, torch.Tensor)
        and isinstance(b, torch.Tensor)
        and a.shape == b.shape
        and a.dtype == b.dtype
        and _placement(a) == _placement(b)
    )


def _placement(t: torch.Tensor) -> tuple[str, torch.layout]:
    """Device type and layout: a meta or sparse output has no comparable values."""
    return t.device.type, t.layout


def _bytes(t: torch.Tensor) -> torch.Tensor:
    return t.detach().contiguous().reshape(-1).view(torch.uint8)


def misplaced(out: Any, ref: Any) -> str | None:
    """Why a tensor output is not laid out as the reference is, or None. The layout is part of
    the answer: a strided view of a buffer in another layout (an identity kernel's copy of the
    input, viewed transposed) would do a layout problem's whole job with no element moved."""
    if not (isinstance(out, torch.Tensor) and isinstance(ref, torch.Tensor)):
        return None
    if ref.is_contiguous() and not out.is_contiguous():
        return (
            f"a strided view (strides {tuple(out.stride())}) where the reference is contiguous: "
            "a kernel must write the output in the reference's layout"
        )
    return None


def compare(out: Any, ref: Any, atol: float, rtol: float, own_error: float = 0.0) -> Comparison:
    """``out`` against ``ref`` within atol/rtol, then the spread test; ``own_error`` is the
    reference's rms error against float64: no output is asked to follow the reference closer
    than twice that (where the reference is that far from the truth, so is an honest kernel
    that rounds elsewhere)."""
    if not isinstance(ref, torch.Tensor):
        return Comparison(out == ref, f"expected {ref!r}, got {out!r}")
    if not isinstance(out, torch.Tensor):
        return Comparison(False, f"expected a tensor, got {type(out).__name__}")
    if out.shape != ref.shape:
        return Comparison(False, f"shape {tuple(out.shape)}, expected {tuple(ref.shape)}")
    if out.dtype != ref.dtype:
        return Comparison(False, f"dtype {out.dtype}, expected {ref.dtype}")
    if _placement(out) != _placement(ref):
        return Comparison(
            False,
            f"a {out.layout} tensor on {out.device.type}, expected a {ref.layout} tensor "
            f"on {ref.device.type}",
        )
    if not (ref.is_floating_point() or ref.is_complex()):
        wrong = (out != ref).sum().item()
        if wrong:
            return Comparison(False, f"{wrong} of {ref.numel()} elements differ (exact dtype)")
        return Comparison(True, "exact")
    o, r = out.detach().double(), ref.detach().double()
    nan_o, nan_r = torch.isnan(o), torch.isnan(r)
    if not torch.equal(nan_o, nan_r):
        extra = (nan_o & ~nan_r).sum().item()
        missing = (nan_r & ~nan_o).sum().item()
        return Comparison(
            False,
            f"NaN where the reference has a number at {extra} elements, "
            f"a number where it has NaN at {missing}",
        )
    inf_o, inf_r = torch.isinf(o), torch.isinf(r)
    if not torch.equal(inf_o, inf_r) or not torch.equal(o[inf_o], r[inf_r]):
        return Comparison(False, "Inf at different elements or with a different sign")
    finite = ~(nan_r | inf_r)
    o, r = o[finite], r[finite]
    if r.numel() == 0:
        return Comparison(True, "no finite elements; NaN and Inf match")
    err = (o - r).abs()
    bad = err > atol + rtol * r.abs()
    n_bad = int(bad.sum().item())
    max_abs = err.max().item()
    if n_bad:
        return Comparison(
            False,
            f"{n_bad} of {r.numel()} elements ({100 * n_bad / r.numel():.3g}%) outside "
            f"atol={atol:g} rtol={rtol:g}; max abs error {max_abs:.4g}",
        )
    err_rms = err.pow(2).mean().sqrt().item()
    spread = (r - r.mean()).pow(2).mean().sqrt().item()
    floor = EPS_FLOOR * torch.finfo(ref.dtype).eps * r.pow(2).mean().sqrt().item()
    # One number (a 0-d loss) has no variation to follow: its rounding is judged by the
    # tolerances and the precision rule alone.
    if r.numel() > 1 and err_rms > max(SPREAD_TOL * spread, floor, 2 * own_error):
        return Comparison(
            False,
            f"within atol/rtol, but the error (rms {err_rms:.3g}) is "
            f"{100 * err_rms / max(spread, 1e-300):.3g}% of the reference's own variation "
            f"(rms {spread:.3g}): a constant or zero output passes a loose tolerance here, "
            "so the values must follow the reference",
        )
    return Comparison(True, f"max abs error {max_abs:.3g}")


def _rms(t: torch.Tensor) -> float:
    return t.pow(2).mean().sqrt().item() if t.numel() else 0.0


def precision(out: Any, ref: Any, ref64: Any, reduction: float = 1.0) -> Comparison:
    """The candidate's error against the float64 reference, measured against the reference's.

    The reference's own error can be too small to measure honest rounding by: one sample for
    a 0-d loss (zero by luck), or none at all where torch accumulates in double (a CPU cumsum).
    So the allowance is never below what rounding alone costs a kernel that sums
    ``reduction`` terms the way kernels do (``rounding_ulps``) at the output's scale: a loss
    reduced with atomics or a scan carried across blocks is not refused for it.
    """
    if (
        not comparable(out, ref)
        or not ref.is_floating_point()
        or not isinstance(ref64, torch.Tensor)
        or ref64.shape != ref.shape
    ):
        return Comparison(True, "no float64 reference for this output")
    o, r, r64 = out.detach().double(), ref.detach().double(), ref64.detach().double()
    finite = torch.isfinite(o) & torch.isfinite(r) & torch.isfinite(r64)
    o, r, r64 = o[finite], r[finite], r64[finite]
    scale = _rms(r64)
    if scale == 0.0:
        return Comparison(True, "the float64 reference is zero: atol decides")
    e_out, e_ref = _rms(o - r64), _rms(r - r64)
    # ...plus the dtype's subnormal spacing: below its normal range it resolves no finer.
    info = torch.finfo(ref.dtype)
    rounding = info.eps * rounding_ulps(reduction) * scale + info.tiny * info.eps
    allowed = max(PRECISION_FACTOR * e_ref, ROUNDING_FACTOR * rounding)
    ratio = e_out / max(e_ref, rounding)
    dtype = str(ref.dtype).removeprefix("torch.")
    if e_out <= allowed:
        return Comparison(
            True, f"rms error vs float64 {e_out:.3g} ({ratio:.2g}x the {dtype} reference's)"
        )
    return Comparison(
        False,
        f"rms error against a float64 reference {e_out:.3g} is {ratio:.3g}x the error the "
        f"reference itself makes in {dtype} ({e_ref:.3g}; rounding alone {rounding:.3g}); at "
        f"most {PRECISION_FACTOR:g}x (or {ROUNDING_FACTOR:g}x rounding) is allowed: part of the computation runs in a lower "
        f"precision than {dtype} (fp16/bf16 intermediates, an fp16 accumulator, or a TF32 "
        "tl.dot: pass input_precision='ieee' or 'tf32x3' for float32)",
        {"ratio": ratio, "error": e_out, "reference_error": e_ref},
    )


def reference_error(ref: Any, ref64: Any) -> tuple[float, float]:
    """The reference's worst and rms absolute error against float64, over elements finite in
    both; zeros when there is no float64 reference."""
    if not (
        isinstance(ref, torch.Tensor)
        and isinstance(ref64, torch.Tensor)
        and ref.is_floating_point()
        and ref64.shape == ref.shape
    ):
        return 0.0, 0.0
    err = (ref.detach().double() - ref64.detach().double()).abs()
    err = err[torch.isfinite(err)]
    return (err.max().item(), _rms(err)) if err.numel() else (0.0, 0.0)


def rounding_ulps(length: float) -> float:
    """Rounding error, in units of eps at the output's scale, of a sum of ``length`` terms as
    a kernel computes it: a tree inside a block (log2 of its length) and blocks of ~1024
    added in sequence (a random walk, sqrt of their count), plus the final rounding."""
    length = max(1.0, length)
    return 1.0 + math.log2(length) + math.sqrt(length / 1024)


def reduction_length(inputs: list[Any], out: Any) -> float:
    """The longest sum an output element can hold: the input elements per output element (a
    scalar loss sums them all) or the longest axis of any input (a row sum, a scan, a matmul's
    K), whichever is larger."""
    tensors = [a for a in inputs if isinstance(a, torch.Tensor) and a.is_floating_point()]
    if not isinstance(out, torch.Tensor) or not tensors:
        return 1.0
    per_output = sum(a.numel() for a in tensors) / max(1, out.numel())
    return max(per_output, *(max(a.shape, default=1) for a in tensors))


def unusable_reference(outs: list[Any], outs64: list[Any] | None, base: list[Any]) -> str | None:
    """Why a stress trial's reference cannot judge anything, if it cannot: it has NaN or Inf
    where the float64 reference has a number (it overflows at its dtype), or where the
    plain trials had none (the regime left the problem's domain)."""

    def bad(t: Any) -> int:
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            return 0
        return int((~torch.isfinite(t)).sum().item())

    for i, o in enumerate(outs):
        n = bad(o)
        if not n:
            continue
        o64 = outs64[i] if outs64 and i < len(outs64) else None
        if isinstance(o64, torch.Tensor) and o64.shape == o.shape:
            over = int((~torch.isfinite(o) & torch.isfinite(o64)).sum().item())
            if over:
                dtype = str(o.dtype).removeprefix("torch.")
                return f"the reference overflows {dtype} there ({over} elements of output {i})"
        if i < len(base) and n > bad(base[i]):
            return f"the reference gives NaN or Inf there ({n} elements of output {i})"
    return None


def degenerate_reason(ref: torch.Tensor, atol: float, rtol: float) -> str | None:
    """Why a plain allclose would accept a trivial answer for this reference, if it would."""
    if not isinstance(ref, torch.Tensor) or not ref.is_floating_point() or ref.numel() == 0:
        return None
    r = ref.detach().double()
    r = r[torch.isfinite(r)]
    if r.numel() == 0:
        return None
    if bool(((r.abs()) <= atol + rtol * r.abs()).all()):
        return "all zeros pass allclose"
    const = r.mean()
    if bool(((const - r).abs() <= atol + rtol * r.abs()).all()):
        return f"the constant {const.item():.3g} passes allclose"
    return None


def degenerate_warning(info) -> str | None:
    """Run the reference once at its small shape and say if its outputs are degenerate."""
    from kernelwright.problem import ProblemError, exec_problem

    try:
        pm = exec_problem(info, "small")
        if pm.over_budget:
            return f"shape small does not fit the CPU interpreter's budget: {pm.over_budget}"
        model = pm.build(pm.module.Model, 0)
        if info.meta.dtype and info.meta.dtype != "bfloat16":
            model = model.to(getattr(torch, info.meta.dtype))
        with torch.no_grad():
            outs = model(*pm.inputs(0).args)
    except ProblemError as e:
        return str(e)
    except Exception as e:
        return f"the reference fails at shape small: {type(e).__name__}: {e}"
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    for i, o in enumerate(outs):
        if isinstance(o, torch.Tensor) and o.is_floating_point():
            tol = info.tolerance(str(o.dtype).removeprefix("torch."))
            reason = degenerate_reason(o, tol.atol, tol.rtol)
            if reason:
                return f"degenerate output {i}: {reason} (the checker's spread test still applies)"
    return None
