"""Stress regimes: inputs derived from ``get_inputs``' own distribution, as a pure function.

``randn`` inputs stay within a few units of zero, where a polynomial stands in for a
transcendental and fp16 never overflows. Every check therefore also runs trials whose inputs
are ``apply(regime, get_inputs(), seed)``: scaled down, scaled up, shifted off zero, and
spread over the magnitudes real activations reach. Only values are transformed, never
shapes, and only floating tensors that hold real-valued data: integer and boolean tensors,
and floating tensors whose every value is an integer (indices, masks, labels stored as
float), are passed through unchanged.

A problem may change a regime's parameters, add regimes of its own, or skip one with a
reason, in its metadata: ``"regimes": {"scaled_up": {"skip": "the reference overflows"},
"large": {"scale": 30, "shift": 2}}``. The function below is all a trusted replay needs to
make a stress trial's inputs from a plain trial's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class Regime(BaseModel):
    """x -> x * scale * 10**U(spread) + shift * rms(x), elementwise, per floating input; with
    ``both_signs``, half of each input moved up and half down instead (``_split_shift``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: float = 1.0
    # In units of the input's own rms, so a shift is "off zero" whatever the input's scale.
    shift: float = 0.0
    # Decades: each element is multiplied by 10**u, u uniform in [lo, hi].
    spread: tuple[float, float] | None = None
    # Shift the first half of each input (along its first axis longer than 1) up and the
    # second half down, each far enough that it lies ``shift`` rms or more from zero.
    both_signs: bool = False
    # A regime that does not apply to this problem, and why (shown in the check's notes).
    skip: str | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Regime:
        if self.skip is None and self.scale == 1.0 and self.shift == 0.0 and not self.spread:
            raise ValueError("a regime must set scale, shift or spread (or skip with a reason)")
        if self.both_signs and self.shift <= 0.0:
            raise ValueError("both_signs needs a positive shift: how far from zero each half lies")
        return self

    def describe(self) -> str:
        parts = []
        if self.scale != 1.0:
            parts.append(f"x{self.scale:g}")
        if self.spread:
            parts.append(f"x10^U({self.spread[0]:g},{self.spread[1]:g}) per element")
        if self.both_signs:
            parts.append(f"half moved above +{self.shift:g} rms, half below -{self.shift:g} rms")
        elif self.shift:
            parts.append(f"+{self.shift:g} rms")
        return "inputs " + " ".join(parts)


# Magnitudes: 1e-3 is where an absolute tolerance swallows a wrong answer; 100 is where fp16
# intermediates overflow and exp() saturates; shifting off zero exposes E[x^2]-E[x]^2-style
# cancellation and kernels that assume zero-mean data, and with rows wholly positive and rows
# wholly negative, a masked load whose `other` is not the identity of its reduction (0 for a
# max over negative rows, 0 for a min over positive ones); spreading over 1e-3..1e2 mixes the
# tiny and the outlier values of a real model's activations in one tensor.
BUILTIN: dict[str, Regime] = {
    "scaled_down": Regime(scale=1e-3),
    "scaled_up": Regime(scale=100.0),
    "shifted": Regime(shift=1.0, both_signs=True),
    "wide": Regime(spread=(-3.0, 2.0)),
}


def regimes_for(declared: dict[str, Regime]) -> dict[str, Regime]:
    """The regimes a problem runs: the built-ins, changed or added to by its metadata, in a
    stable order, skipped ones included (their reason is reported)."""
    out = dict(BUILTIN)
    out.update(declared)
    return out


def active(declared: dict[str, Regime]) -> list[str]:
    return [name for name, r in regimes_for(declared).items() if r.skip is None]


def is_value_data(t: Any) -> bool:
    """A floating tensor of real-valued data (not indices, masks or labels stored as float)."""
    import torch

    if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.numel() == 0:
        return False
    flat = t.detach().reshape(-1)
    # A fraction in the first elements settles it (random data has one at once); only data
    # that looks integral there is read in full.
    return _has_fraction(flat[:1024]) or _has_fraction(flat)


def _has_fraction(x: Any) -> bool:
    """Some finite element is not a whole number (the fraction of Inf and NaN is NaN)."""
    frac = x.frac()
    return bool(((frac != 0) & (frac == frac)).any())


def apply(regime: Regime, args: list[Any], seed: int) -> list[Any]:
    """The regime's inputs from plain ones: new tensors, the arguments left as they were."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = []
    for a in args:
        if not is_value_data(a):
            out.append(a)
            continue
        x = a.detach().double()
        y = x * regime.scale
        if regime.spread:
            lo, hi = regime.spread
            u = torch.rand(x.shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo
            y = y * torch.pow(10.0, u).to(x.device)
        if regime.shift:
            finite = x[torch.isfinite(x)]
            rms = (finite.pow(2).mean().sqrt().item() if finite.numel() else 1.0) or 1.0
            if regime.both_signs:
                y = _split_shift(y, regime.shift * rms)
            else:
                y = y + regime.shift * rms
        out.append(y.to(a.dtype))
    return out


def _split_shift(y, gap: float):
    """The first half of ``y`` along its first axis longer than 1 moved up until its smallest
    value is ``gap``, the second half down until its largest is ``-gap``. Every slice that
    does not cross that axis -- a row, for any reduction but one over it -- then lies wholly
    on one side of zero, and both sides occur. An input with values of one sign only
    (probabilities, lengths) keeps that sign: all of it moves away from zero on its side."""
    import torch

    finite = y[torch.isfinite(y)]
    axis = next((i for i, n in enumerate(y.shape) if n > 1), None)
    if not finite.numel():
        return y
    if finite.min() >= 0 or axis is None:
        return y + (gap - finite.min().item())
    if finite.max() <= 0:
        return y - (gap + finite.max().item())
    half = y.shape[axis] // 2
    out = y.clone()
    up, down = out.narrow(axis, 0, half), out.narrow(axis, half, y.shape[axis] - half)
    for part, up_half in ((up, True), (down, False)):
        finite = part[torch.isfinite(part)]
        if finite.numel():
            part += gap - finite.min().item() if up_half else -gap - finite.max().item()
    return out
