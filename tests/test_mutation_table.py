"""scripts/mutation_table.py: the README's mutation tables from a recorded scores file."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "mutation_table.py"


def _entry(score, refused, compiling, equivalent, survivors, per_class):
    return {
        "score": score,
        "refused": refused,
        "compiling": compiling,
        "equivalent": equivalent,
        "survivors": survivors,
        "per_class": per_class,
        "measured_at": "2026-12-06T21:00:00Z",
        "versions": {"git_revision": "0123456789abcdef"},
    }


def test_tables_show_scores_survivors_and_diagnosis(tmp_path):
    scores = {
        "problems": {
            "weak": _entry(
                0.5,
                1,
                3,
                1,
                [{"id": "wrong_other-1", "class": "other", "reached": False}],
                {
                    "other": {"refused": 0, "named": 0, "wrong": 0, "silent": 0},
                    "mask": {"refused": 1, "named": 1, "wrong": 0, "silent": 0},
                },
            ),
            "strong": _entry(
                1.0, 2, 2, 0, [], {"mask": {"refused": 2, "named": 1, "wrong": 0, "silent": 1}}
            ),
        }
    }
    path = tmp_path / "scores.json"
    path.write_text(json.dumps(scores))
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    weak = next(line for line in lines if line.startswith("| weak "))
    assert "50% (1/2)" in weak and "| 1 |" in weak  # 3 compiling, 1 equivalent left out
    assert "1: other 1 (1 unreached)" in weak and "0123456 2026-12-06T21:00:00Z" in weak
    assert "**100% (2/2)**" in next(line for line in lines if line.startswith("| strong "))
    assert lines.index(weak) < lines.index(next(x for x in lines if x.startswith("| strong ")))
    assert "| **all 2** | 75.0% (3/4) |" in out
    assert "| mask | 3 | 2 (67%) | 0 (0%) | 1 (33%) |" in out


def test_a_file_that_is_not_a_scores_file_is_one_line_and_status_2(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]")
    done = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a mutation scores file" in done.stderr


def test_the_eval_reports_problem_table_shows_each_recorded_score():
    from types import SimpleNamespace

    from kernelwright.evals.metrics import ProblemResult
    from kernelwright.evals.mutation import read_scores, score_label
    from kernelwright.evals.report import problems_table
    from kernelwright.problem import resolve_problem

    scores = read_scores()
    names = sorted(scores)[:3]
    run = SimpleNamespace(
        timing_measured=False,
        problems=[
            ProblemResult(key=n, name=n, path=str(resolve_problem(n)), samples=[]) for n in names
        ],
    )
    table = problems_table([run], ["run"])
    shown = {row[0].text: row[1].text for row in table.rows}
    assert shown == {n: score_label(scores[n]) for n in names}
    assert all(shown.values())
