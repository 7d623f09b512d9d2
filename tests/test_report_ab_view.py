"""The report's A/B view: one replay banner however many runs are replays, every delta in a
unit, every note pointing at something the file shows, and the metric definitions carried in
the report itself (a wheel install has no evals/METRICS.md to link to)."""

from __future__ import annotations

import re
from pathlib import Path

from evals_records import cpu_records, golden_info, golden_records, write_run

from kernelwright.evals.report import write_report


def replay_run(path: Path, run_id: str) -> Path:
    write_run(path, cpu_records(model="replay:demo", run_id=run_id), golden_info(run_id=run_id))
    return path


def test_two_replay_runs_get_one_banner(tmp_path):
    files = write_report([replay_run(tmp_path / "r1", "r1"), replay_run(tmp_path / "r2", "r2")])
    html = files.html.read_text()
    assert html.count('<div class="replay">') == 1
    banner = html.split('<div class="replay">')[1].split("</div>")[0]
    assert "@ r1" in banner and "@ r2" in banner and "Their numbers" in banner
    assert files.markdown.read_text().count("> **Replay:**") == 1


def test_every_delta_has_a_unit_and_every_note_its_referent(tmp_path):
    write_run(tmp_path / "a", golden_records(), golden_info())
    recs = golden_records(model="model-b", run_id="run-b")[:6]
    write_run(tmp_path / "b", recs, golden_info(run_id="run-b", model="model-b"))
    files = write_report([tmp_path / "a", tmp_path / "b"], tmp_path / "cmp")
    html, md = files.html.read_text(), files.markdown.read_text()
    deltas = re.findall(r'<span class="(?:better|worse)">([^<]*)</span>', html)
    assert deltas
    unit = re.compile(r"[+-](\d[\d,.]* (pt|s|tokens)|\d[\d.]*×|\$\d[\d.]*)")
    assert [d for d in deltas if not unit.fullmatch(d)] == []
    assert "Rows marked ≠" in md and "| **≠ " in md
    assert "highlighted in report.html" in html and '<tr class="diff">' in html


def test_the_metric_definitions_travel_with_the_report(tmp_path):
    write_run(tmp_path / "a", golden_records(), golden_info())
    files = write_report([tmp_path / "a"])
    html, md = files.html.read_text(), files.markdown.read_text()
    assert "evals/METRICS.md" not in html and "evals/METRICS.md" not in md
    assert "<summary>Metric definitions</summary>" in html
    assert "### Eval metrics" in md and "strictly greater" in md
