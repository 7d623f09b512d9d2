"""scripts/device_table.py without a GPU: pairing, parsing, the table, deadlines, exit status."""

from __future__ import annotations

import importlib.util
import json
import sys
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


def test_last_outcome_skips_noise(table):
    stdout = 'warming up\n{"not": "an outcome"}\n' + json.dumps(OUTCOME) + "\n\n"
    assert table.last_outcome(stdout)["status"] == "correct"
    assert table.last_outcome("no json here\n{broken") is None


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


def _fake_check(tmp_path, body: str) -> str:
    script = tmp_path / "fake_check.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


def _suite(tmp_path):
    problems, solutions = tmp_path / "problems", tmp_path / "solutions"
    for name in ("a", "b"):
        (problems / "level1").mkdir(parents=True, exist_ok=True)
        (problems / "level1" / f"{name}.py").write_text("# problem\n")
    solutions.mkdir()
    (solutions / "a.py").write_text("# solution\n")  # b has none
    return problems, solutions


def test_main_runs_checks_and_writes_the_table(table, tmp_path, capsys):
    problems, solutions = _suite(tmp_path)
    fake = _fake_check(tmp_path, f"import json\nprint(json.dumps({OUTCOME!r}))\n")
    out = tmp_path / "out"
    code = table.main(
        [
            "--out",
            str(out),
            "--problems",
            str(problems),
            "--solutions",
            str(solutions),
            "--check-command",
            fake,
        ]
    )
    assert code == 1  # b has no solution
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert [(r["problem"], r["status"]) for r in rows] == [
        ("level1/a", "correct"),
        ("level1/b", "no_outcome"),
    ]
    assert "no bundled solution b.py" in rows[1]["message"]
    assert "1/2 correct" in capsys.readouterr().out


def test_deadline_marks_the_rest_not_run(table, tmp_path):
    problems, solutions = _suite(tmp_path)
    (solutions / "b.py").write_text("# solution\n")
    fake = _fake_check(tmp_path, "raise SystemExit('should not run')\n")
    out = tmp_path / "out"
    assert (
        table.main(
            [
                "--out",
                str(out),
                "--problems",
                str(problems),
                "--solutions",
                str(solutions),
                "--deadline-s",
                "5",
                "--check-command",
                fake,
            ]
        )
        == 1
    )
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert {r["status"] for r in rows} == {"not_run"}


def test_a_hanging_check_is_cut_at_its_wall_time(table, tmp_path):
    problems, solutions = _suite(tmp_path)
    fake = _fake_check(tmp_path, "import time\ntime.sleep(30)\n")
    row = table.run_check(
        problems / "level1" / "a.py", solutions / "a.py", "bench", 10.0, 0.5, fake.split()
    )
    assert row["status"] == "no_outcome"
    assert row["message"] == "kernelwright check did not finish within 0.5 s"
