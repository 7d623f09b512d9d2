"""Every failure class of a candidate gets its own status and an actionable message."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CANDIDATES, TESTS, header
from kernelwright.sandbox.pool import Job

PROBLEM = TESTS / "problems" / "vector_add.py"
BROKEN = sorted((CANDIDATES / "broken").iterdir())

# What the message must mention, so a person (or a model) can act on it.
MESSAGE_HINTS = {
    "wrong_values.py": "outside atol",
    "wrong_shape.py": "shape (999,)",
    "wrong_dtype.py": "dtype torch.float64",
    "wrong_device.py": "output 0 on meta: outputs must be on cpu",
    "syntax_error.py": "line 18",
    "no_model_new.py": "ModelNew",
    "not_python.txt": "not Python",
    "triton_compile_error.py": "power of 2",
    "exception_in_forward.py": "boom in forward",
    "correct.py": "Correct on 3 seeds",
    "libdevice_in_interpreter.py": "does not implement libdevice.erf",
}


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_status_and_message(pool, path):
    outcome = pool.evaluate(Job(problem=PROBLEM, code=path.read_text(), shape="small"))
    assert outcome.status.value == header(path, "expect"), outcome.message
    assert MESSAGE_HINTS[path.name] in outcome.message, outcome.message
    assert outcome.env["interpreter"] is True
    assert outcome.timing is None


def test_check_cli_json_one_line_per_solution_in_order():
    files = [CANDIDATES / "broken" / n for n in ("correct.py", "wrong_values.py", "not_python.txt")]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kernelwright.cli",
            "check",
            str(PROBLEM),
            *map(str, files),
            "--json",
            "--sandbox",
            "subprocess",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["status"] for o in lines] == ["correct", "incorrect", "format_error"]
    assert proc.returncode == 1
    assert all(o["env"]["sandbox"] == "subprocess" for o in lines)


def test_check_cli_usage_errors_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad_problem.py"
    bad.write_text("def get_inputs(:\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "check", str(bad), str(BROKEN[0])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "syntax error in problem file" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_bf16_problem_runs_in_bf16_on_the_interpreter(pool):
    code = (CANDIDATES / "legit" / "bf16_on_the_interpreter.py").read_text()
    outcome = pool.evaluate(Job(problem=TESTS / "problems" / "bf16_axpb.py", code=code))
    assert outcome.correct, outcome.message
    # A kernel's bfloat16 specialisation is the one that runs: a wrong one is refused.
    code = (CANDIDATES / "adversarial" / "bf16_path_the_cpu_never_specialises.py").read_text()
    outcome = pool.evaluate(Job(problem=TESTS / "problems" / "bf16_axpb.py", code=code))
    assert outcome.status.value == "incorrect", outcome.message


@pytest.mark.parametrize(
    "glibc",
    [
        "double free or corruption (!prev)",
        "free(): invalid next size (normal)",
        "malloc(): corrupted top size",
    ],
)
def test_a_heap_abort_is_explained_as_an_out_of_bounds_write(glibc):
    # What the interpreter shows for a tl.store without a mask: glibc aborts at the next free.
    from kernelwright.sandbox import judge

    outcome = judge.crashed("the worker was killed by SIGABRT", glibc, {})
    assert outcome.status.value == "crashed"
    assert "a kernel wrote out of bounds" in outcome.message
    assert "out of bounds" not in judge.crashed("the worker was killed by SIGABRT", "", {}).message
