"""Each trial's inputs are remade from a seed the parent hands out when the trial starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CANDIDATES, TESTS
from kernelwright.problem import ProblemError
from kernelwright.sandbox.pool import Job

SOLUTION = (CANDIDATES / "broken" / "correct.py").read_text()
VECTOR_ADD = (TESTS / "problems" / "vector_add.py").read_text()


def _variant(tmp_path: Path, name: str, imports: str, inputs: str) -> Path:
    source = VECTOR_ADD.replace("import torch\n", f"import torch\n{imports}\n", 1).replace(
        "    return [torch.randn(n), torch.randn(n)]", f"    return {inputs}"
    )
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return path


def test_inputs_drawn_from_python_and_numpy_generators_follow_the_seed(pool, tmp_path):
    problem = _variant(
        tmp_path,
        "seeded_generators",
        "import random\nimport numpy",
        "[torch.randn(n) * random.uniform(1, 2), torch.from_numpy(numpy.random.rand(n)).float()]",
    )
    outcome = pool.evaluate(Job(problem=problem, code=SOLUTION, shape="small"))
    assert outcome.correct, outcome.message


def test_inputs_that_do_not_follow_the_seed_are_a_problem_error(pool, tmp_path):
    problem = _variant(
        tmp_path,
        "unseeded",
        "import os",
        "[torch.randn(n) + int.from_bytes(os.urandom(2), 'little'), torch.randn(n)]",
    )
    with pytest.raises(ProblemError, match="different inputs for the same seed"):
        pool.evaluate(Job(problem=problem, code=SOLUTION, shape="small"))
