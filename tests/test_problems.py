"""Problem files: the KernelBench convention unchanged, metadata, scaling, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from conftest import TESTS
from kernelwright.problem import (
    SMALL_NUMEL_BUDGET,
    ProblemError,
    bundled_problems_dir,
    find_problems,
    load_problem,
    read_problem,
)

KB = TESTS / "problems" / "kernelbench_style"


@pytest.mark.parametrize("path", sorted(KB.glob("*.py")), ids=lambda p: p.stem)
def test_kernelbench_file_loads_unchanged_and_scales_to_small(path):
    info = read_problem(path)
    assert info.meta.level is None and info.name == path.stem
    pm = load_problem(path, "small")
    args = pm.inputs(0).args
    assert all(a.numel() <= SMALL_NUMEL_BUDGET for a in args if isinstance(a, torch.Tensor))
    model = pm.build(pm.module.Model, 0)
    with torch.no_grad():
        out = model(*args)
    assert torch.isfinite(out).all()
    assert "not declared: drawn" in pm.sizes


def test_scaling_keeps_small_constants_and_model_arguments():
    pm = load_problem(KB / "47_Sum_reduction_over_a_dimension.py", "small")
    assert pm.module.reduce_dim == 1  # a dimension index, never scaled
    assert pm.init_inputs() == [1]
    pm = load_problem(KB / "40_Gemm_Scaling_ResidualAdd.py", "small")
    # nn.Linear is built from scaled constants, so it matches the scaled inputs.
    model = pm.build(pm.module.Model, 0)
    assert model.matmul.in_features == pm.module.in_features < 4096


def test_same_seed_gives_same_parameters():
    pm = load_problem(KB / "40_Gemm_Scaling_ResidualAdd.py", "small")
    a, b = pm.build(pm.module.Model, 7), pm.build(pm.module.Model, 7)
    assert torch.equal(a.matmul.weight, b.matmul.weight)


def test_declared_shape_sets_and_formulas():
    path = bundled_problems_dir() / "level1" / "softmax.py"
    info = read_problem(path)
    assert {"small", "bench"} <= set(info.shape_names)
    pm = load_problem(path, "bench")
    assert pm.bytes() == 2 * pm.module.batch_size * pm.module.dim * 2
    with pytest.raises(ProblemError, match="no shape set 'huge'"):
        load_problem(path, "huge")


BROKEN = {
    "syntax": ("import torch\nclass Model(:\n", "syntax error in problem file"),
    "no_model": (
        "def get_inputs():\n    return []\ndef get_init_inputs():\n    return []\n",
        "missing Model",
    ),
    "bad_meta": (
        "KERNELWRIGHT = {'levle': 1}\nclass Model: pass\ndef get_inputs(): return []\n"
        "def get_init_inputs(): return []\n",
        "bad KERNELWRIGHT metadata",
    ),
    "raising_inputs": (
        "import torch\nclass Model(torch.nn.Module):\n    pass\n"
        "def get_inputs():\n    raise ValueError('no data')\n"
        "def get_init_inputs():\n    return []\n",
        "get_inputs() raised ValueError",
    ),
    "not_tensors": (
        "import torch\nclass Model(torch.nn.Module):\n    pass\n"
        "def get_inputs():\n    return [1, 'x']\ndef get_init_inputs():\n    return []\n",
        "returned no tensors",
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_problem_files_get_clear_messages(tmp_path, kind):
    source, message = BROKEN[kind]
    path = tmp_path / f"{kind}.py"
    path.write_text(source)
    with pytest.raises(ProblemError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_problem(path, None).inputs(0)


def test_bundled_suite_has_every_category():
    files = find_problems(bundled_problems_dir())
    levels = [read_problem(f).level for f in files]
    assert len(files) >= 24
    assert levels.count(1) >= 14 and levels.count(2) >= 6 and levels.count(3) >= 4


def test_problems_list_reads_a_kernelbench_folder():
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "problems", "list", str(KB), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(r["name"] for r in rows) == sorted(p.stem for p in KB.glob("*.py"))
    assert all("error" not in r for r in rows)


def test_problems_list_warns_about_degenerate_outputs():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kernelwright.cli",
            "problems",
            "list",
            str(TESTS / "problems" / "wide_softmax.py"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "degenerate" in row["warning"]
