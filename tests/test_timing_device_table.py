"""scripts/device_table.py without a GPU: pairing, parsing, the table, deadlines, exit status."""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "device_table.py"


@pytest.fixture(scope="module")
def table():
    spec = importlib.util.spec_from_file_location("device_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OUTCOME = {
    "status": "correct",
    "message": "ok",
    "checks": [],
    "timing": {
        "candidate_ms": 0.0625,
        "eager_ms": 0.25,
        "compiled_ms": 0.125,
        "speedup_eager": 4.0,
        "speedup_compiled": 2.0,
        "stats": {},
    },
    "roofline": {
        "bytes": 268435456,
        "flops": 0,
        "bound_ms": 0.056,
        "pct_of_bound": 89.6,
        "bound_by": "memory",
    },
    "env": {},
}


def test_every_bundled_problem_is_paired(table):
    pairs = table.pairs()
    assert pairs, "no bundled problems"
    for problem, solution in pairs:
        assert problem.parent.name.startswith("level")
        assert solution.parent == table.SOLUTIONS and solution.name == problem.name


def test_row_and_render(table):
    row = table.row_for(Path("/x/level1/softmax.py"), OUTCOME, 3.21)
    assert row["problem"] == "level1/softmax"
    assert (row["eager_ms"], row["compiled_ms"], row["solution_ms"]) == (0.25, 0.125, 0.0625)
    assert row["pct_of_roofline"] == 89.6 and row["message"] == ""
    bad = table.row_for(Path("/x/level2/mlp.py"), None, 1.0, "exit 3: internal error")
    text = table.render([row, bad])
    assert "level1/softmax" in text and "89.6" in text and "0.0625" in text
    assert "no_outcome" in text and "exit 3: internal error" in text
    assert text.endswith("1/2 correct")


def _suite(tmp_path):
    """Two bundled-style problems, one with its solution and one without."""
    repo = Path(__file__).resolve().parent.parent
    problems, solutions = tmp_path / "problems", tmp_path / "solutions"
    (problems / "level1").mkdir(parents=True)
    solutions.mkdir()
    for name in ("softmax", "gelu"):
        src = repo / "reference_kernels" / "problems" / "level1" / f"{name}.py"
        (problems / "level1" / f"{name}.py").write_text(src.read_text())
    sol = repo / "reference_kernels" / "solutions" / "softmax.py"
    (solutions / "softmax.py").write_text(sol.read_text())  # gelu has none
    return problems, solutions


def test_main_checks_through_one_pool_and_writes_the_table(table, tmp_path, capsys):
    problems, solutions = _suite(tmp_path)
    out = tmp_path / "out"
    argv = [
        "--out",
        str(out),
        "--problems",
        str(problems),
        "--solutions",
        str(solutions),
        "--shape",
        "small",
        "--sandbox",
        "subprocess",
    ]
    assert table.main(argv) == 1  # gelu has no solution
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert [(r["problem"], r["status"]) for r in rows] == [
        ("level1/gelu", "no_outcome"),
        ("level1/softmax", "correct"),
    ]
    assert "no bundled solution gelu.py" in rows[0]["message"]
    assert "1/2 correct" in capsys.readouterr().out


def test_deadline_marks_the_rest_not_run(table, tmp_path):
    problems, solutions = _suite(tmp_path)
    out = tmp_path / "out"
    argv = [
        "--out",
        str(out),
        "--problems",
        str(problems),
        "--solutions",
        str(solutions),
        "--deadline-s",
        "5",
        "--sandbox",
        "subprocess",
    ]
    assert table.main(argv) == 1
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert {r["status"] for r in rows} == {"not_run"}


def test_levels_take_turns_so_a_cut_run_covers_every_level(table):
    todo = table.pairs()
    order = table.levels_in_turn(todo)
    assert sorted(order) == sorted(todo)
    levels = sorted({p.parent.name for p, _ in todo})
    assert [p.parent.name for p, _ in order[: len(levels)]] == levels
    for level in levels:  # each level keeps its own order
        assert [p for p, _ in order if p.parent.name == level] == [
            p for p, _ in todo if p.parent.name == level
        ]


class _FailingPool:
    def evaluate(self, job):
        raise OSError("disk full")


def test_a_pool_failure_is_a_row_not_a_crash(table, tmp_path):
    problems, solutions = _suite(tmp_path)
    row = table.run_check(
        _FailingPool(), problems / "level1" / "softmax.py", solutions / "softmax.py", "small", 10
    )
    assert row["status"] == "no_outcome"
    assert row["message"] == "OSError: disk full"


class _RecordingPool:
    """Answers correct for softmax and incorrect for the rest, recording each job."""

    def __init__(self):
        self.jobs = []

    def evaluate(self, job):
        from kernelwright.outcome import Outcome, Status

        self.jobs.append((Path(job.problem).stem, job.timing))
        ok = Path(job.problem).stem == "softmax"
        return Outcome(status=Status.correct if ok else Status.incorrect, message="recorded")


def test_every_pair_is_checked_before_any_is_timed(table, tmp_path):
    problems, solutions = _suite(tmp_path)
    (solutions / "gelu.py").write_text("class ModelNew: pass\n")
    todo = table.pairs(problems, solutions)
    pool = _RecordingPool()
    args = argparse.Namespace(deadline_s=None, timeout_s=30.0, shape="small")
    rows = []
    table._run_all(pool, todo, args, tmp_path / "table.json", rows, time.monotonic())
    # Correctness for both first; then timing only for the correct one.
    assert pool.jobs == [("gelu", False), ("softmax", False), ("softmax", True)]
    assert [(r["problem"], r["status"]) for r in rows] == [
        ("level1/gelu", "incorrect"),
        ("level1/softmax", "correct"),
    ]
    saved = json.loads((tmp_path / "table.json").read_text())["rows"]
    assert [r["status"] for r in saved] == ["incorrect", "correct"]
