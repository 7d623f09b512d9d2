"""The timed calls' inputs and their checks.

Every timed call runs on one of several input sets (each from a seed of its own, with its
reference computed before the candidate was imported), picked at random per call and copied
into the same tensors through ``.data``: neither a cache keyed on a call count, nor one keyed
on pointers or version counters, can tell which set it holds without reading it. After each
call (outside its timing events) a few elements of every output are sampled at random places;
the parent checks each sample against that set's reference. The timed calls end with one more
call per set, made like the others, whose whole output the parent checks.

What this does not catch: a kernel that reads enough of its inputs to recognise a set and
serves an answer it cached for that set. Only fresh inputs per call, each with a reference of
its own, would; more sets only make the cache larger.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
from collections.abc import Callable
from typing import Any

import torch

# Input sets the timed calls rotate through, and elements sampled per output per call.
INPUT_SETS = 3
SAMPLES = 64


class RotatingCalls:
    """Before each call: pick a set and copy it in. After: sample the outputs."""

    def __init__(self, sets: list[list], own_work: Callable[[], Any] = contextlib.nullcontext):
        self.sets = sets
        self.args = [a.clone() if isinstance(a, torch.Tensor) else a for a in sets[0]]
        self.own_work = own_work
        self.rng = random.Random(int.from_bytes(os.urandom(8), "little"))
        self.generators: dict[str, torch.Generator] = {}
        self.current = 0
        self.output: list = []
        self.chosen: list[int] = []  # per call, its set
        self.samples: list[list[tuple[torch.Tensor, torch.Tensor] | None]] = []
        self.shapes: list[list[list[int] | None]] = []
        self.queue: list[int] = []  # sets the next calls must take (the final round)
        self.final: list[tuple[int, list]] = []
        self.finishing = False  # the final round: whole outputs kept

    @property
    def calls(self) -> int:
        return len(self.chosen)

    def before(self) -> None:
        with self.own_work():
            self.current = self.queue.pop(0) if self.queue else self.rng.randrange(len(self.sets))
            for i, (a, src) in enumerate(zip(self.args, self.sets[self.current], strict=True)):
                if (
                    isinstance(a, torch.Tensor)
                    and isinstance(src, torch.Tensor)
                    and a.shape == src.shape
                    and a.dtype == src.dtype
                ):
                    a.data.copy_(src)  # through .data: the version counter does not move
                else:
                    self.args[i] = src.clone() if isinstance(src, torch.Tensor) else src

    def returned(self, out) -> None:
        self.output = list(out) if isinstance(out, (tuple, list)) else [out]

    def after(self) -> None:
        with self.own_work():
            self.chosen.append(self.current)
            samples, shapes = [], []
            for o in self.output:
                if type(o) is torch.Tensor and o.numel() > 0:
                    idx = torch.randint(
                        o.numel(), (SAMPLES,), device=o.device, generator=self._generator(o)
                    )
                    samples.append((idx, torch.take(o.detach(), idx)))
                    shapes.append(list(o.shape))
                else:
                    samples.append(None)
                    shapes.append(list(o.shape) if isinstance(o, torch.Tensor) else None)
            self.samples.append(samples)
            self.shapes.append(shapes)
            if self.finishing:
                kept = [
                    o.detach().clone() if isinstance(o, torch.Tensor) else o for o in self.output
                ]
                self.final.append((self.current, kept))
            self.output = []

    def finish(self, run: Callable[[int], Any]) -> None:
        """One more call per set, in a random order, made by ``run(n)`` like any other batch;
        their whole outputs are kept."""
        order = list(range(len(self.sets)))
        self.rng.shuffle(order)
        self.queue = order
        self.finishing = True
        try:
            run(len(order))
        finally:
            self.finishing = False

    def _generator(self, t: torch.Tensor) -> torch.Generator:
        key = str(t.device)
        if key not in self.generators:
            g = torch.Generator(device=t.device)
            g.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
            self.generators[key] = g
        return self.generators[key]

    def payload(self) -> dict[str, Any]:
        """What the parent checks: per call its set and output shapes; per output the sampled
        places and values of every call, stacked (None where an output was not a tensor)."""
        n_out = max((len(s) for s in self.samples), default=0)
        stacked: list[dict[str, torch.Tensor] | None] = []
        for j in range(n_out):
            rows = [s[j] if j < len(s) else None for s in self.samples]
            if any(r is None for r in rows):
                stacked.append(None)
                continue
            stacked.append(
                {
                    "idx": torch.stack([r[0] for r in rows]).cpu(),
                    "vals": torch.stack([r[1] for r in rows]).cpu(),
                }
            )
        return {
            "sets": self.chosen,
            "shapes": self.shapes,
            "samples": stacked,
            "final": [{"set": s, "outputs": outs} for s, outs in self.final],
        }


def check_samples(
    payload: dict[str, Any],
    references: list[list],
    tolerance: Callable[[Any], tuple[float, float]],
    compare: Callable[..., Any],
) -> str | None:
    """Every call's samples against its set's reference: None, or what the first wrong call
    did. ``tolerance(ref)`` gives (atol, rtol); ``compare`` is the check's own comparison."""
    sets = payload.get("sets") or []
    shapes = payload.get("shapes") or []
    samples = payload.get("samples") or []
    if not sets or len(shapes) != len(sets):
        return "the timed calls left no record of their outputs"
    for call, (s, got) in enumerate(zip(sets, shapes, strict=True)):
        if not 0 <= s < len(references):
            return f"timed call {call + 1} names input set {s}, which does not exist"
        want = [list(r.shape) if isinstance(r, torch.Tensor) else None for r in references[s]]
        if got != want:
            return (
                f"timed call {call + 1} of {len(sets)} (input set {s + 1}) returned outputs "
                f"of shapes {got}, expected {want}"
            )
    n_refs = len(references[0])
    for j in range(n_refs):
        if not isinstance(references[0][j], torch.Tensor):
            continue
        entry = samples[j] if j < len(samples) else None
        if entry is None or entry["idx"].shape[0] != len(sets):
            return f"output {j} of the timed calls was not sampled on every call"
        idx, vals = entry["idx"], entry["vals"]
        for s in sorted(set(sets)):
            ref = references[s][j]
            rows = torch.tensor([i for i, k in enumerate(sets) if k == s])
            expected = torch.take(ref, idx[rows].to(ref.device))
            atol, rtol = tolerance(ref)
            # Samples are few: the spread test, made for whole outputs, is left to the final
            # calls (own_error=inf turns it off); every sampled element must be within tolerance.
            if compare(vals[rows].to(ref.device), expected, atol, rtol, math.inf).ok:
                continue
            for i in rows.tolist():
                one = compare(
                    vals[i].to(ref.device),
                    torch.take(ref, idx[i].to(ref.device)),
                    atol,
                    rtol,
                    math.inf,
                )
                if not one.ok:
                    return (
                        f"timed call {i + 1} of {len(sets)} (input set {s + 1}): output {j} "
                        f"at {SAMPLES} sampled elements: {one.detail}"
                    )
    return None
