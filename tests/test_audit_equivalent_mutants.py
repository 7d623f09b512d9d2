"""scripts/audit_equivalent_mutants.py: outputs told apart bit for bit, inputs pushed only where
they are value data."""

from __future__ import annotations

import importlib.util

import torch

from conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "audit_equivalent_mutants", ROOT / "scripts" / "audit_equivalent_mutants.py"
)
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def test_signed_zeros_differ_and_the_same_nan_does_not():
    a = torch.tensor([0.0, float("nan"), 1.0], dtype=torch.float16)
    assert audit._compare([a], [a.clone()]) is None
    b = a.clone()
    b[0] = -0.0
    why = audit._compare([a], [b])
    assert why is not None and "1 of 3 elements differ" in why


def test_shape_and_dtype_differences_are_named():
    assert "vs" in audit._compare([torch.zeros(2)], [torch.zeros(3)])
    assert audit._compare([torch.zeros(2)], [torch.zeros(2), torch.zeros(2)]) == "1 vs 2 outputs"


def test_value_modes_leave_indices_alone():
    x = torch.randn(8)
    idx = torch.arange(8)
    for mode in audit.VALUE_MODES:
        y, j = audit._transform(mode, [x, idx], 0)
        assert torch.equal(j, idx)
        assert y.dtype == x.dtype
    (neg,) = audit._transform("negative", [x], 0)
    assert bool((neg < 0).all())
