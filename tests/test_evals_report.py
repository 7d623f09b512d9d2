"""Report rendering: report.html, report.md and metrics.json, for one run and side by side."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from evals_records import cpu_records, golden_info, golden_records, write_run

from conftest import require_or_skip
from kernelwright.evals.report import MetricsFile, ReportError, write_report


@pytest.fixture
def run_a(tmp_path: Path) -> Path:
    write_run(tmp_path / "a", golden_records(), golden_info())
    return tmp_path / "a"


@pytest.fixture
def run_b(tmp_path: Path) -> Path:
    """model-b: solves nothing of C (not run), and A's first sample is worse."""
    recs = golden_records(model="model-b", run_id="run-b")[:6]
    write_run(tmp_path / "b", recs, golden_info(run_id="run-b", model="model-b"))
    return tmp_path / "b"


@pytest.fixture
def run_cpu_replay(tmp_path: Path) -> Path:
    recs = cpu_records(model="replay:demo", run_id="run-r")
    write_run(tmp_path / "r", recs, golden_info(run_id="run-r", model="replay:demo"))
    return tmp_path / "r"


def section(html: str, title: str) -> str:
    """The HTML of the table under the heading ``title``."""
    start = html.index(f"<h2>{title}</h2>")
    return html[start : html.index("</table>", start)]


def test_single_run_report(run_a):
    files = write_report([run_a])
    assert files.html == run_a / "report.html"
    html = files.html.read_text()
    for title in (
        "Runs",
        "Summary",
        "fast_p: correct and speedup &gt; p",
        "pass@k and fast_p@k",
        "Per level",
        "Per tag",
        "Improvement per turn",
        "Per problem",
    ):
        assert f"<h2>{title}</h2>" in html
    summary = section(html, "Summary")
    assert "correct rate (samples, = pass@1)" in summary and "55.6%" in summary
    assert "2.52×" in summary  # geomean speedup vs eager: (2 * 1 * 8) ** (1/3)
    fast = section(html, "fast_p: correct and speedup &gt; p")
    assert re.search(r"<td>2</td>\s*<td>33\.3%</td>\s*<td>33\.3%</td>", fast)
    problems = section(html, "Per problem")
    assert "level1/C" in problems and "8.00×" in problems and "80.0%" in problems
    # Four plots, inline; nothing fetched from anywhere.
    assert html.count("<svg") == 4
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<script" not in html and "<link" not in html
    assert "REPLAY" not in html

    md = files.markdown.read_text()
    assert md.startswith("# kernelwright eval: model-a [full]")
    assert "| correct rate (samples, = pass@1) | 55.6% |" in md
    assert "| 2 | 33.3% | 33.3% |" in md
    assert "| pass@2 | — |" in md

    data = MetricsFile.model_validate_json(files.metrics.read_text())
    assert [m.run_id for m in data.runs] == ["run-golden"]
    assert data.runs[0].overall.fast_p["eager"]["2"] == pytest.approx(1 / 3)


def test_cpu_replay_report_says_correctness_only_and_replay(run_cpu_replay):
    files = write_report([run_cpu_replay])
    html = files.html.read_text()
    md = files.markdown.read_text()
    metrics = json.loads(files.metrics.read_text())["runs"][0]
    assert metrics["timing_measured"] is False and metrics["replay"] is True
    assert metrics["overall"]["fast_p"] is None
    assert "No timing was measured" in html and "correctness metrics only" in md
    assert "fast_p: correct" not in html  # no fast_p table without timing
    assert "REPLAY" in html and "**Replay:**" in md
    assert "fast_1 vs eager" not in md
    assert html.count("<svg") == 1  # only the improvement per turn


def test_comparison_side_by_side(run_a, run_b, tmp_path):
    out = tmp_path / "cmp"
    files = write_report([run_a, run_b], out=out)
    assert files.html.parent == out and not (run_a / "report.html").exists()
    html = files.html.read_text()
    summary = section(html, "Summary")
    assert "<th>model-a [full]</th>" in summary and "<th>model-b [full]</th>" in summary
    # The better run's value is highlighted, the other carries its delta in colour.
    assert '<td class="best">55.6%</td>' in summary
    assert '33.3%<span class="worse">-22.2 pt</span>' in summary
    problems = section(html, "Per problem")
    row_c = re.search(r'<tr class="diff">\s*<td>level1/C</td>', problems)
    assert row_c, "C is solved by one run and not run by the other: highlighted"
    assert not re.search(r'<tr class="diff">\s*<td>level1/A</td>', problems)
    md = files.markdown.read_text()
    assert "model-a [full] vs model-b [full]" in md
    assert "| **≠ level1/C** |" in md
    assert "**55.6%** | 33.3% (-22.2 pt)" in md
    data = MetricsFile.model_validate_json(files.metrics.read_text())
    assert [m.label for m in data.runs] == ["model-a [full]", "model-b [full]"]


def test_same_labels_get_told_apart(run_a, tmp_path):
    write_run(tmp_path / "again", golden_records(run_id="r2"), golden_info(run_id="r2"))
    html = write_report([run_a, tmp_path / "again"]).html.read_text()
    assert "model-a [full] @ a" in html and "model-a [full] @ again" in html


def test_replay_labelled_in_comparison(run_a, run_cpu_replay):
    files = write_report([run_a, run_cpu_replay])
    md = files.markdown.read_text()
    assert "replay:demo [full]" in md and "served recorded answers" in md
    assert "REPLAY: replay:demo [full]" in files.html.read_text()


def test_bad_run_directory(tmp_path):
    with pytest.raises(ReportError, match="not a run directory"):
        write_report([tmp_path])
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(ReportError, match="unreadable run.json"):
        write_report([tmp_path])
    with pytest.raises(ReportError, match="at least one"):
        write_report([])


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_report_renders_in_headless_chromium(run_a, run_b, tmp_path):
    require_or_skip("chromium", CHROMIUM.exists(), f"no {CHROMIUM}")
    files = write_report([run_a, run_b])
    png = tmp_path / "report.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1280,2000",
            files.html.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    image = Image.open(png).convert("RGB")
    assert image.size == (1280, 2000)
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # text, tables and highlights, not blank
    # The highlight green of the best cells is on screen: the CSS applied.
    assert any(
        abs(r - 0xDA) < 6 and abs(g - 0xFB) < 6 and abs(b - 0xE1) < 6 for _, (r, g, b) in colors
    )
    white = sum(n for n, c in colors if c == (255, 255, 255))
    assert white < 0.97 * image.size[0] * image.size[1]
