"""SUITE resolution: bundled levels and tags, KernelBench folders, YAML suite files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kernelwright import problem as problem_mod
from kernelwright.evals import suite as suite_mod
from kernelwright.evals.suite import SuiteError, resolve_suite
from kernelwright.problem import bundled_problems_dir, find_problems, read_problem

# A KernelBench problem file as it is in their repository: no metadata at all.
KERNELBENCH = """\
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.{op}(x)

batch_size = 16
dim = 16384

def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]

def get_init_inputs():
    return []  # No special initialization inputs needed
"""

TAGGED = """\
import torch
import torch.nn as nn

KERNELWRIGHT = {{"name": "{name}", "level": {level}, "tags": {tags}}}

N = 64

class Model(nn.Module):
    def forward(self, x):
        return x * 2

def get_inputs():
    return [torch.randn(N)]

def get_init_inputs():
    return []
"""


@pytest.fixture
def kernelbench(tmp_path: Path) -> Path:
    """A KernelBench-shaped checkout: KernelBench/level1/*.py, KernelBench/level2/*.py."""
    root = tmp_path / "KernelBench"
    (root / "level1").mkdir(parents=True)
    (root / "level2").mkdir()
    (root / "level1" / "19_ReLU.py").write_text(KERNELBENCH.format(op="relu"))
    (root / "level1" / "23_Softmax.py").write_text(KERNELBENCH.format(op="sigmoid"))
    (root / "level2" / "1_Conv2D_ReLU_BiasAdd.py").write_text(KERNELBENCH.format(op="tanh"))
    return root


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch) -> Path:
    """A stand-in for the bundled suite, so these tests do not depend on its contents."""
    root = tmp_path / "bundle"
    for level, name, tags in [
        (1, "softmax", ["softmax", "reduction"]),
        (1, "relu", ["elementwise"]),
        (2, "fused", ["softmax", "matmul"]),
    ]:
        (root / f"level{level}").mkdir(parents=True, exist_ok=True)
        (root / f"level{level}" / f"{name}.py").write_text(
            TAGGED.format(name=name, level=level, tags=tags)
        )
    monkeypatch.setattr(suite_mod, "bundled_problems_dir", lambda: root)
    monkeypatch.setattr(problem_mod, "bundled_problems_dir", lambda: root)
    return root


def names(spec: str) -> list[str]:
    return [p.name for p in resolve_suite(spec).problems]


def test_kernelbench_folder_runs_unmodified(kernelbench):
    s = resolve_suite(str(kernelbench / "level1"))
    assert [p.name for p in s.problems] == ["19_ReLU", "23_Softmax"]
    assert all(p.level == 1 for p in s.problems)  # from the folder name
    whole = resolve_suite(str(kernelbench))
    assert [(p.level, p.name) for p in whole.problems] == [
        (1, "19_ReLU"),
        (1, "23_Softmax"),
        (2, "1_Conv2D_ReLU_BiasAdd"),
    ]


def test_single_problem_file(kernelbench):
    assert names(str(kernelbench / "level2" / "1_Conv2D_ReLU_BiasAdd.py")) == [
        "1_Conv2D_ReLU_BiasAdd"
    ]


def test_bundled_level_tag_all_and_name(bundle):
    assert names("level1") == ["relu", "softmax"]
    assert names("level2") == ["fused"]
    assert names("all") == ["relu", "softmax", "fused"]
    assert names("tag:softmax") == ["softmax", "fused"]
    assert names("relu") == ["relu"]


def test_clear_errors(bundle, tmp_path):
    with pytest.raises(SuiteError, match="known tags: elementwise, matmul, reduction, softmax"):
        resolve_suite("tag:nope")
    with pytest.raises(SuiteError, match="no bundled level"):
        resolve_suite("level9")
    with pytest.raises(SuiteError, match="not a file or folder"):
        resolve_suite("no-such-thing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SuiteError, match="no problem files"):
        resolve_suite(str(tmp_path / "empty"))
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\n")
    with pytest.raises(SuiteError, match="not a problem file"):
        resolve_suite(str(bad))


def test_yaml_suite_with_filters_and_shape(bundle, kernelbench, tmp_path):
    spec = tmp_path / "suites" / "mine.yaml"
    spec.parent.mkdir()
    spec.write_text(
        textwrap.dedent(
            f"""\
            name: mixed
            shape: small
            problems:
              - all
              - {kernelbench / "level1"}
              - ../KernelBench/level2
              - softmax            # a duplicate of one in 'all'
            filters:
              levels: [1, 2]
              names: ["*o*", fused, "19_*"]
            """
        )
    )
    s = resolve_suite(str(spec))
    assert s.name == "mixed" and s.shape == "small"
    assert [p.name for p in s.problems] == [
        "softmax",
        "fused",
        "19_ReLU",
        "23_Softmax",
        "1_Conv2D_ReLU_BiasAdd",
    ]
    spec.write_text("problems: [all]\nfilters: {tags: [matmul, elementwise]}\n")
    assert [p.name for p in resolve_suite(str(spec)).problems] == ["relu", "fused"]
    spec.write_text("filters: {levels: [2]}\n")  # problems default to every bundled one
    assert [p.name for p in resolve_suite(str(spec)).problems] == ["fused"]


def test_yaml_errors(bundle, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("problems: [all]\nfilter: {levels: [1]}\n")
    with pytest.raises(SuiteError, match="bad suite file at filter"):
        resolve_suite(str(spec))
    spec.write_text("problems: [all]\nfilters: {levels: [7]}\n")
    with pytest.raises(SuiteError, match="has no problems"):
        resolve_suite(str(spec))
    spec.write_text("problems: [s.yaml]\n")
    with pytest.raises(SuiteError, match="cannot include another YAML"):
        resolve_suite(str(spec))
    spec.write_text("problems: [all\n")
    with pytest.raises(SuiteError, match="cannot read suite file"):
        resolve_suite(str(spec))


def test_the_real_bundled_levels_resolve():
    for level in sorted(p.name for p in bundled_problems_dir().iterdir() if p.is_dir()):
        files = find_problems(bundled_problems_dir() / level)
        if not files:
            continue
        s = resolve_suite(level)
        assert [p.path for p in s.problems] == files
        assert all(p.level == read_problem(p.path).level for p in s.problems)
