"""Comparison of a candidate's outputs with the reference, in the parent process.

The parent never imports a candidate, so nothing here can have been patched by one.
Beyond an elementwise ``allclose`` (NaN and Inf strict), a second test measures the
error against the reference's own spread: where the reference is near-constant or
near zero (softmax over a wide row), zeros or a constant pass ``allclose`` but fail
this one, unless the reference really is that constant at the dtype's precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

# Error may be at most this fraction of the reference's variation around its mean.
SPREAD_TOL = 0.05
# ...unless that is below what rounding to the dtype alone produces, in units of eps.
EPS_FLOOR = 4.0


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


def compare(out: Any, ref: Any, atol: float, rtol: float) -> Comparison:
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
    if err_rms > max(SPREAD_TOL * spread, floor):
        return Comparison(
            False,
            f"within atol/rtol, but the error (rms {err_rms:.3g}) is "
            f"{100 * err_rms / max(spread, 1e-300):.3g}% of the reference's own variation "
            f"(rms {spread:.3g}): a constant or zero output passes a loose tolerance here, "
            "so the values must follow the reference",
        )
    return Comparison(True, f"max abs error {max_abs:.3g}")


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
