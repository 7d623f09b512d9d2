"""End to end on the CPU: ``eval`` of bundled problems with the recorded demo model, through
the real sandbox; then ``--rescore`` of that run, and a report comparing the two."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from kernelwright.agent.replay import demo_problems
from kernelwright.evals.commands import eval_command, report_command
from kernelwright.evals.report import MetricsFile
from kernelwright.runlog import RunDir


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("report")(report_command)
    return app


def test_eval_replay_demo_then_rescore_then_compare(tmp_path):
    names = demo_problems()
    assert len(names) >= 3
    suite = tmp_path / "demo.yaml"
    suite.write_text(f"name: demo\nproblems: {json.dumps(names)}\n")
    run, rescored = tmp_path / "run", tmp_path / "rescored"
    runner = CliRunner()

    r = runner.invoke(
        cli(),
        [
            "eval",
            str(suite),
            "--model",
            "replay:demo",
            "--turns",
            "3",
            "--workers",
            "2",
            # The plain sandbox: eval and rescore are tested here, and a Docker pool (what
            # auto picks in CI) takes several times longer to start.
            "--sandbox",
            "subprocess",
            "--out",
            str(run),
        ],
    )
    assert r.exit_code == 0, r.output
    assert f"{len(names)} problem(s)" in r.output and "correctness only" in r.output
    info = RunDir(run).read_info()
    assert info.kind == "eval" and info.config["model"] == "replay:demo"
    attempts = RunDir(run).attempts()
    assert {a.problem.name for a in attempts} == set(names)
    assert all(a.replay for a in attempts)
    # One run id, many problems: a trajectory id still names one problem's trajectory.
    problems_of = {}
    for a in attempts:
        problems_of.setdefault(a.trajectory_id, set()).add(a.problem.name)
    assert all(len(p) == 1 for p in problems_of.values()) and len(problems_of) == len(names)
    m = MetricsFile.model_validate_json((run / "metrics.json").read_text()).runs[0]
    assert m.replay and not m.timing_measured and m.complete
    # Every demo shows a failed attempt, its feedback, and a correct kernel after it.
    assert m.overall.solved_rate == 1.0
    assert m.overall.attempt_correct_rate < 1.0
    assert m.by_turn[-1].correct_rate > m.by_turn[0].correct_rate
    html = (run / "report.html").read_text()
    assert "REPLAY" in html and "No timing was measured" in html
    assert "**Replay:**" in (run / "report.md").read_text()

    r = runner.invoke(
        cli(),
        [
            "eval",
            "--rescore",
            str(run),
            "--workers",
            "2",
            "--sandbox",
            "subprocess",
            "--out",
            str(rescored),
        ],
    )
    assert r.exit_code == 0, r.output
    again = RunDir(rescored).attempts()
    assert RunDir(rescored).read_info().kind == "rescore"
    assert {a.attempt_id: a.outcome.status for a in again} == {
        a.attempt_id: a.outcome.status for a in attempts
    }

    r = runner.invoke(cli(), ["report", str(run), str(rescored), "--out", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    data = MetricsFile.model_validate_json((tmp_path / "cmp" / "metrics.json").read_text())
    assert [x.kind for x in data.runs] == ["eval", "rescore"]
    assert data.runs[0].overall.correct_rate == data.runs[1].overall.correct_rate
