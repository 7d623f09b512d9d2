"""The fusion-problem generator: 100 distinct problems that load and whose references run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kernelwright.datasets.generator import GenerateError, generate
from kernelwright.problem import (
    SMALL_NUMEL_BUDGET,
    eval_formula,
    find_problems,
    load_problem,
    read_problem,
)
from kernelwright.sandbox.verify import degenerate_reason


@pytest.fixture(scope="module")
def hundred(tmp_path_factory) -> list[Path]:
    return generate(100, seed=7, out=tmp_path_factory.mktemp("gen"))


def test_hundred_distinct_problems_load_and_run(hundred: list[Path]):
    assert len(hundred) == 100
    assert sorted(hundred) == find_problems(hundred[0].parent)
    infos = [read_problem(p) for p in hundred]
    assert len({i.sha256 for i in infos}) == 100
    # Distinct computations, not only distinct files: no two forwards are the same.
    forwards = {i.source.split("def forward", 1)[1].split("def get_inputs")[0] for i in infos}
    assert len(forwards) == 100
    tags = set()
    for info in infos:
        meta = info.meta
        assert meta.level == 2 and meta.dtype == "float32"
        assert {"generated", "fusion"} <= set(meta.tags)
        tags |= set(meta.tags)
        assert set(meta.shapes) == {"small", "bench"}
        bench = {**info.constants, **meta.shapes["bench"]}
        assert eval_formula(meta.flops, bench) > 0 and eval_formula(meta.bytes, bench) > 0
        pm = load_problem(info.path, "small")
        args = pm.inputs(seed=3).args
        assert all(a.numel() <= SMALL_NUMEL_BUDGET for a in args)
        with torch.no_grad():
            out = pm.build(pm.module.Model, seed=3)(*args)
        assert torch.isfinite(out).all()
        tol = info.tolerance("float32")
        assert degenerate_reason(out, tol.atol, tol.rtol) is None
    # The chains cover every family of ops.
    assert {"activation", "elementwise", "reduction", "norm", "matmul"} <= tags


def test_generation_is_deterministic_by_seed(hundred: list[Path], tmp_path: Path):
    again = generate(10, seed=7, out=tmp_path / "again")
    assert [p.name for p in again] == [p.name for p in hundred[:10]]
    assert [p.read_text() for p in again] == [p.read_text() for p in hundred[:10]]
    other = generate(10, seed=8, out=tmp_path / "other")
    assert {p.read_text() for p in other}.isdisjoint(p.read_text() for p in hundred)


def test_bad_arguments(tmp_path: Path):
    with pytest.raises(GenerateError, match="at least 1"):
        generate(0, seed=0, out=tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(GenerateError, match="not a folder"):
        generate(1, seed=0, out=tmp_path / "file")
