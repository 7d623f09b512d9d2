"""Corner cases of the check found while redesigning verification (issue 14): each was
misjudged before, and each is judged by what the candidate did, not by how it looks."""

from __future__ import annotations

import re

import pytest

from conftest import CANDIDATES, TESTS
from kernelwright.sandbox.pool import Job

VECTOR_ADD = TESTS / "problems" / "vector_add.py"
SOLUTION = (CANDIDATES / "broken" / "correct.py").read_text()
SEEDS = [11, 22, 33]


def _with(code: str, at_import: str = "", in_forward: str = "") -> str:
    code = code.replace("import triton\n", f"import triton\n{at_import}\n", 1)
    return code.replace(
        "    def forward(self, x, y):\n", f"    def forward(self, x, y):\n{in_forward}", 1
    )


def test_the_candidates_import_sees_no_trial_seed(pool):
    # The trials' inputs are made before the import, each from its seed; the RNGs must not
    # be left on one, or the import could read it (torch.initial_seed()) or replay it.
    probe = (
        "import random\nimport numpy\n"
        "print('AT-IMPORT', torch.initial_seed(), random.random(), numpy.random.rand())"
    )
    code = _with(SOLUTION, at_import=probe)
    seen = []
    for _ in range(2):
        outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=code, shape="small", seeds=SEEDS))
        assert outcome.correct, outcome.message
        line = re.search(r"AT-IMPORT (\d+) (\S+) (\S+)", outcome.output)
        assert line, outcome.output
        assert int(line.group(1)) not in SEEDS
        seen.append(line.groups())
    # Same seeds, two runs: the import's randomness comes from elsewhere, so it differs.
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1] and seen[0][2] != seen[1][2]


def test_an_exception_whose_str_raises_is_a_runtime_error(pool):
    code = _with(
        SOLUTION,
        at_import="class Opaque(Exception):\n    def __str__(self):\n        raise ValueError('no')\n",
        in_forward="        raise Opaque()\n",
    )
    outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=code, shape="small"))
    assert outcome.status.value == "runtime_error", outcome.message
    assert "Opaque" in outcome.message


def test_an_output_the_checker_cannot_load_is_incorrect_not_forged(pool):
    # A Python object as output: saved by the worker, refused by weights_only on the way in.
    code = SOLUTION.replace("        return out\n", "        return out, slice(0, 1)\n")
    outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=code, shape="small"))
    # Refused for what it returned (the launch log names the value's type first, where the
    # safe loader would), never as result files tampered with.
    assert outcome.status.value in ("incorrect", "rejected"), outcome.message
    assert "slice" in outcome.message, outcome.message
    assert outcome.details.get("rule") != "forged verdict", outcome.message
    assert "replaced or damaged" not in outcome.message


@pytest.mark.parametrize("shape", ["rows600", "small"])  # 600 rows, and 1,100
def test_one_launch_per_row_is_not_a_python_loop_over_elements(pool, shape):
    problem = TESTS / "problems" / "tall_rows.py"
    code = (CANDIDATES / "legit" / "launch_per_row.py").read_text()
    outcome = pool.evaluate(Job(problem=problem, code=code, shape=shape))
    assert outcome.correct, outcome.message


def test_a_python_loop_over_elements_is_still_named(pool):
    # The same loop without a launch per row: item() and fill_ per element, compute in Python.
    code = (CANDIDATES / "legit" / "launch_per_row.py").read_text()
    code = code.replace(
        "        for i in range(rows):\n",
        "        _row_sum[(1,)](x[0], out[0], cols, BLOCK=block)\n"
        "        for i in range(rows):\n"
        "            total = 0.0\n"
        "            for j in range(cols):\n"
        "                total += x[i, j].item()\n"
        "            out[i].fill_(total)\n"
        "        for i in range(0):\n",
    )
    problem = TESTS / "problems" / "tall_rows.py"
    outcome = pool.evaluate(Job(problem=problem, code=code, shape="rows600"))
    assert outcome.status.value == "rejected", outcome.message
    assert "a Python loop over elements" in outcome.message


def test_setting_documented_numeric_flags_is_not_patching(pool):
    flags = (
        "torch.backends.cuda.matmul.allow_tf32 = False\n"
        "torch.backends.cudnn.allow_tf32 = False\n"
        "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False\n"
    )
    outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=_with(SOLUTION, flags), shape="small"))
    assert outcome.correct, outcome.message
    # Assigning anything else under torch still is.
    patched = _with(SOLUTION, "torch.backends.cuda.matmul.allow_tf32_fn = print\n")
    outcome = pool.evaluate(Job(problem=VECTOR_ADD, code=patched, shape="small"))
    assert outcome.status.value == "rejected" and "patching" in outcome.message
