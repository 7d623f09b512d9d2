"""A trial's model and inputs, made the same way wherever a trial runs: in the worker (the
reference, then the candidate) and in the replay."""

from __future__ import annotations

import hashlib

import torch

# A constructor's constant weights (a norm's weight of ones, a bias or a running mean of zeros)
# are not weights a trained model has, and hide a kernel that reads them at the wrong index or
# not at all: each is moved off its constant by up to this fraction of max(|c|, 1), so ones
# stay positive (a running variance too).
STATE_JITTER = 0.1


def run_dtype(pm) -> torch.dtype | None:
    """The problem's dtype, on the interpreter too: bfloat16 is computed there as a GPU
    computes it (``interp_floats``), so a kernel's bfloat16 specialisation is what runs."""
    name = pm.info.meta.dtype
    return getattr(torch, name) if name else None


def build(pm, cls, seed: int, device: str, dtype):
    model = pm.build(cls, seed, device)
    model = model.to(dtype) if dtype is not None else model
    off_constant(model, seed)
    return model


def off_constant(model, seed: int) -> None:
    """Every floating parameter or buffer whose elements all hold one value c gets
    c + STATE_JITTER * max(|c|, 1) * U(-1, 1) per element, drawn from the seed and the entry's
    state_dict name: Model and a ModelNew with the same state (the contract) get the same."""
    with torch.no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if not t.is_floating_point() or t.numel() < 2:
                continue
            flat = t.detach().reshape(-1)
            c = flat[0].item()
            if not bool((flat == c).all()):
                continue
            key = hashlib.sha256(f"{seed}:{name}".encode()).digest()
            gen = torch.Generator().manual_seed(int.from_bytes(key[:8], "little") % 2**63)
            u = torch.rand(t.shape, generator=gen, dtype=torch.float64) * 2 - 1
            t.data.copy_((c + STATE_JITTER * max(abs(c), 1.0) * u).to(t.dtype))


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
