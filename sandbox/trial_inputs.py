"""A trial's model and inputs, made the same way wherever a trial runs: in the worker (the
reference, then the candidate) and in the replay."""

from __future__ import annotations

import torch


def run_dtype(pm, interpreter: bool) -> tuple[torch.dtype | None, list[str]]:
    name = pm.info.meta.dtype
    notes = []
    if name == "bfloat16" and interpreter:
        # The interpreter computes bf16 as NaN without a word; fp32 keeps the check honest.
        name = "float32"
        notes.append("bf16 problem run in float32: Triton's CPU interpreter mishandles bf16")
    return (getattr(torch, name) if name else None), notes


def build(pm, cls, seed: int, device: str, dtype):
    model = pm.build(cls, seed, device)
    return model.to(dtype) if dtype is not None else model


def make_inputs(pm, seed: int, device: str, dtype, regime: str | None = None) -> list:
    """A trial's inputs: get_inputs' at the run dtype, then the stress regime's transform."""
    from kernelwright.regimes import apply, regimes_for

    args = pm.inputs(seed, device).args
    if dtype is not None:
        args = [
            a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a
            for a in args
        ]
    return args if regime is None else apply(regimes_for(pm.info.meta.regimes)[regime], args, seed)


def clone(a):
    return a.clone() if isinstance(a, torch.Tensor) else a
