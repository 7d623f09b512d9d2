"""The files kernelwright writes pass kernelwright: best_kernel.py is `correct` under `check`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from kernelwright.agent.best_kernel import render_best_kernel
from kernelwright.outcome import Outcome, Status
from kernelwright.problem import bundled_problems_dir, exec_problem, find_problems, read_problem
from kernelwright.runlog import AttemptRecord, ProblemRef
from kernelwright.sandbox.judge import precheck

SOLUTIONS = bundled_problems_dir().parent / "solutions"


def _record(code: str) -> AttemptRecord:
    return AttemptRecord(
        run_id="r",
        trajectory_id="t",
        problem=ProblemRef(name="p", path="p", sha256="s"),
        turn=0,
        model="m",
        prompt_version="v",
        messages=[],
        response="",
        code=code,
        outcome=Outcome(status=Status.correct),
    )


@pytest.mark.parametrize("path", find_problems(bundled_problems_dir()), ids=lambda p: p.stem)
def test_best_kernel_of_every_bundled_problem_passes_the_static_checks(path, tmp_path):
    problem = read_problem(path)
    text = render_best_kernel(_record((SOLUTIONS / path.name).read_text()), problem, "small")
    assert precheck(text) is None, precheck(text).message
    # The carried reference is code in a scope of its own, and on the CPU it makes the
    # inputs of the `small` shape set the check used.
    file = tmp_path / f"bk_{path.stem}.py"
    file.write_text(text)
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not hasattr(module, "Model") and hasattr(module, "ModelNew")
    _, get_inputs, _ = module._kernelwright_reference(cpu=True)
    expected = exec_problem(problem, "small").inputs(0).args
    assert [getattr(x, "shape", x) for x in get_inputs()] == [
        getattr(x, "shape", x) for x in expected
    ]


def test_best_kernel_of_a_run_is_correct_under_check(tmp_path):
    # The file the run writes is tested, not the sandbox: the plain one starts fastest.
    run = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "generate", "rms_norm", "--model",
         "replay:demo", "--sandbox", "subprocess", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    best = tmp_path / "run" / "best_kernel.py"
    check = subprocess.run(
        [sys.executable, "-m", "kernelwright.cli", "check", "rms_norm", str(best), "--json",
         "--sandbox", "subprocess"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    outcome = Outcome.model_validate_json(check.stdout.strip().splitlines()[-1])
    assert outcome.status is Status.correct, outcome.message
    assert check.returncode == 0
