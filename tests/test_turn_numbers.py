"""Turns and samples are counted from 1 wherever a person reads them (progress lines, the run's
last line, best_kernel.py's header, the report's per-turn table); records keep 0-based
indices."""

from __future__ import annotations

from pathlib import Path

from evals_records import golden_info, golden_records, record, write_run
from rich.console import Console

from kernelwright.agent.best_kernel import render_best_kernel
from kernelwright.agent.commands import _report
from kernelwright.agent.progress import Progress
from kernelwright.evals.report import write_report
from kernelwright.problem import read_problem, resolve_problem

FIRST = record("A", "t0", 0, "correct")


def test_progress_line_counts_from_one():
    console = Console(record=True, width=200)
    Progress(console).attempt(FIRST)
    assert console.export_text().startswith("turn 1 sample 1 ")


def test_the_runs_last_line_counts_from_one(tmp_path: Path):
    console = Console(record=True, width=200)
    summary = {
        "best": {"turn": 0, "sample": 0, "speedup_eager": None},
        "status": "correct",
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "replay": True,
        "problem": "softmax",
        "attempts": 1,
        "stop_reason": "solved",
        "notes": [],
        "best_kernel": None,
    }
    _report(console, summary, tmp_path)
    assert "correct (turn 1, sample 1)" in console.export_text()


def test_best_kernel_header_counts_from_one():
    info = read_problem(resolve_problem("softmax"))
    assert "(turn 1, sample 1)" in render_best_kernel(FIRST, info, "small")


def test_report_turn_table_counts_from_one(tmp_path: Path):
    write_run(tmp_path / "a", golden_records(), golden_info())
    md = write_report([tmp_path / "a"]).markdown.read_text()
    rows = md.split("## Improvement per turn")[1].split("\n\n")[1].splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == ["1", "2"]
