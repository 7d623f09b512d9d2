"""``kernelwright report``: metrics.json, report.md and a self-contained report.html.

One or more run directories go in; the first is the baseline that the others are compared
with (deltas and highlights). The HTML has inline CSS and inline SVG plots, nothing else:
it opens from a mail attachment or a CI artifact without a network.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from pydantic import BaseModel

import kernelwright
from kernelwright.evals import plots
from kernelwright.evals.metrics import (
    BASELINES,
    P_VALUES,
    Metrics,
    ProblemResult,
    Summary,
    compute_metrics,
    p_key,
)
from kernelwright.evals.mutation import read_scores, score_label
from kernelwright.problem import bundled_problems_dir
from kernelwright.runlog import RunDir, now

REPORT_SCHEMA_VERSION = 1
# Shipped as package data: every report carries the definitions of its metrics.
METRICS_MD = Path(__file__).with_name("METRICS.md")
DASH = "—"


class ReportError(Exception):
    """A report that cannot be made; the message says why, for a person."""


class MetricsFile(BaseModel):
    """``metrics.json``: the metrics of every run in a report, the baseline first."""

    schema_version: int = REPORT_SCHEMA_VERSION
    generated_at: str
    runs: list[Metrics]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    metrics: Path
    runs: list[Metrics]


def load_run(path: str | Path) -> Metrics:
    run = RunDir(path)
    if not run.exists():
        raise ReportError(f"{path}: not a run directory (no run.json)")
    try:
        info = run.read_info()
    except ValueError as e:
        raise ReportError(f"{path}: unreadable run.json ({str(e).splitlines()[0]})") from None
    return compute_metrics(run.attempts(), info, run_dir=str(run.path))


def display_labels(runs: Sequence[Metrics]) -> list[str]:
    """Unique labels for column heads; replays say so in their label."""
    labels = [m.label + (" (replay)" if m.replay and "replay" not in m.label else "") for m in runs]
    counts = Counter(labels)
    labels = [
        f"{label} @ {Path(m.run_dir or m.run_id).name}" if counts[label] > 1 else label
        for label, m in zip(labels, runs, strict=True)
    ]
    if len(set(labels)) < len(labels):
        labels = [f"{label} #{i + 1}" for i, label in enumerate(labels)]
    return labels


# --- tables -----------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    # "best": the best value of its row; "better"/"worse": a delta against the baseline run.
    cls: str = ""
    delta: str = ""
    delta_cls: str = ""


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    # Row indices whose runs disagree (highlighted).
    differing: set[int] = field(default_factory=set)
    note: str = ""


def fmt_rate(v: float | None) -> str:
    return DASH if v is None else f"{100 * v:.1f}%"


def fmt_speedup(v: float | None) -> str:
    return DASH if v is None else f"{v:.2f}×"


def fmt_pct(v: float | None) -> str:
    return DASH if v is None else f"{v:.1f}%"


def fmt_tokens(v: float | None) -> str:
    return DASH if v is None else f"{v:,.0f} tokens"


def fmt_cost(v: float | None) -> str:
    return DASH if v is None else f"${v:.4f}"


def fmt_seconds(v: float | None) -> str:
    return DASH if v is None else f"{v:.1f} s"


@dataclass(frozen=True)
class Row:
    name: str
    get: Callable[[Summary], float | None]
    fmt: Callable[[float | None], str]
    higher_is_better: bool = True


def _fast(b: str, p: float) -> Callable[[Summary], float | None]:
    return lambda s: s.fast_p[b][p_key(p)] if s.fast_p else None


def _geo(b: str) -> Callable[[Summary], float | None]:
    return lambda s: s.geomean_speedup[b] if s.geomean_speedup else None


def _pass(k: int) -> Callable[[Summary], float | None]:
    return lambda s: s.pass_at_k.get(str(k))


def _delta(v: float, base: float, fmt: Callable[[float | None], str]) -> str:
    """The difference in the row's own unit: percentage points for rates, else the unit its
    values carry (×, s, $, tokens)."""
    d = v - base
    if fmt is fmt_rate:
        return f"{100 * d:+.1f} pt"
    if fmt is fmt_pct:
        return f"{d:+.1f} pt"
    return ("+" if d >= 0 else "-") + fmt(abs(d))


def _compare(values: list[float | None], row: Row) -> list[Cell]:
    """Cells of one metric across runs: best highlighted, deltas against the first run."""
    cells = [Cell(row.fmt(v)) for v in values]
    known = [v for v in values if v is not None]
    if len(values) < 2 or len(known) < 2 or len(set(known)) < 2:
        return cells
    best = max(known) if row.higher_is_better else min(known)
    base = values[0]
    for v, cell in zip(values, cells, strict=True):
        if v == best:
            cell.cls = "best"
    if base is None:
        return cells
    for v, cell in zip(values[1:], cells[1:], strict=True):
        if v is None or v == base:
            continue
        cell.delta = _delta(v, base, row.fmt)
        cell.delta_cls = "better" if (v > base) == row.higher_is_better else "worse"
    return cells


def _metric_table(title: str, rows: Sequence[Row], summaries: Sequence[Summary], labels) -> Table:
    table = Table(title, ["metric", *labels])
    for row in rows:
        values = [row.get(s) for s in summaries]
        table.rows.append([Cell(row.name), *_compare(values, row)])
    return table


def headline_rows(runs: Sequence[Metrics]) -> list[Row]:
    rows = [
        Row("compile rate (attempts)", lambda s: s.compile_rate, fmt_rate),
        Row("correct rate (attempts)", lambda s: s.attempt_correct_rate, fmt_rate),
        Row("correct rate (samples, = pass@1)", lambda s: s.correct_rate, fmt_rate),
        Row("solved (≥ 1 correct sample)", lambda s: s.solved_rate, fmt_rate),
    ]
    if any(m.timing_measured for m in runs):
        for b in BASELINES:
            name = plots.BASELINE_NAME[b]
            rows.append(Row(f"fast_1 vs {name}", _fast(b, 1.0), fmt_rate))
            rows.append(Row(f"geomean speedup vs {name}", _geo(b), fmt_speedup))
        rows += [
            Row("% of roofline, mean", lambda s: s.roofline_pct_mean, fmt_pct),
            Row("% of roofline, median", lambda s: s.roofline_pct_median, fmt_pct),
        ]
    rows += [
        Row("tokens per problem", lambda s: s.tokens_per_problem, fmt_tokens, False),
        Row("cost per problem", lambda s: s.cost_usd_per_problem, fmt_cost, False),
        Row("time per problem (model + eval)", lambda s: s.time_s_per_problem, fmt_seconds, False),
    ]
    return rows


def runs_table(runs: Sequence[Metrics], labels: Sequence[str]) -> Table:
    table = Table("Runs", ["", *labels])
    facts: list[tuple[str, Callable[[Metrics], str]]] = [
        ("run", lambda m: f"{m.kind} {m.run_id}"),
        ("directory", lambda m: m.run_dir or DASH),
        ("model", lambda m: ", ".join(m.models) or DASH),
        ("replay", lambda m: "yes: recorded answers, not a live model" if m.replay else "no"),
        ("prompt", lambda m: f"{', '.join(m.prompt_variants) or DASH} ({m.prompt_version})"),
        ("device", lambda m: ", ".join(m.devices) or DASH),
        ("timing measured", lambda m: "yes" if m.timing_measured else "no (correctness only)"),
        (
            "problems / samples / attempts",
            lambda m: f"{m.overall.problems} / {m.overall.samples} / {m.overall.attempts}",
        ),
        ("complete", lambda m: "yes" if m.complete else f"no: {len(m.missing_problems)} missing"),
    ]
    for name, get in facts:
        table.rows.append([Cell(name), *(Cell(get(m)) for m in runs)])
    return table


def fast_p_table(runs: Sequence[Metrics], labels: Sequence[str]) -> Table:
    header = ["p"] + [f"{lab} vs {plots.BASELINE_NAME[b]}" for lab in labels for b in BASELINES]
    table = Table("fast_p: correct and speedup > p", header)
    for p in P_VALUES:
        by_b = {
            b: _compare([_fast(b, p)(m.overall) for m in runs], Row("", _fast(b, p), fmt_rate))
            for b in BASELINES
        }
        table.rows.append(
            [Cell(p_key(p)), *(by_b[b][i] for i in range(len(runs)) for b in BASELINES)]
        )
    table.note = "Strict inequality: a kernel exactly p× as fast is not counted."
    return table


def pass_at_k_table(runs: Sequence[Metrics], labels: Sequence[str]) -> Table:
    ks = sorted({k for m in runs for k in m.k_values})
    rows = [Row(f"pass@{k}", _pass(k), fmt_rate) for k in ks]
    if any(m.timing_measured for m in runs):

        def fast1_at(k: int) -> Callable[[Summary], float | None]:
            return lambda s: s.fast_p_at_k["eager"]["1"].get(str(k)) if s.fast_p_at_k else None

        rows += [Row(f"fast_1@{k} vs eager", fast1_at(k), fmt_rate) for k in ks]
    table = _metric_table("pass@k and fast_p@k", rows, [m.overall for m in runs], labels)
    table.note = (
        f"{DASH} where some problem has fewer than k samples (undefined, not extrapolated)."
    )
    return table


def group_table(
    title: str, runs: Sequence[Metrics], labels: Sequence[str], groups: Callable[[Metrics], dict]
) -> Table | None:
    keys = sorted({k for m in runs for k in groups(m)})
    if not keys:
        return None
    timed = any(m.timing_measured for m in runs)
    cols = [("correct", lambda s: s.correct_rate, fmt_rate)]
    if timed:
        cols += [
            ("fast_1 eager", _fast("eager", 1.0), fmt_rate),
            ("geomean eager", _geo("eager"), fmt_speedup),
        ]
    header = [title.split()[-1], *(f"{lab}: {c[0]}" for lab in labels for c in cols)]
    table = Table(title, header)
    for key in keys:
        per_col = []
        for name, get, fmt in cols:
            values = [get(groups(m)[key]) if key in groups(m) else None for m in runs]
            per_col.append(_compare(values, Row(name, get, fmt)))
        n = [groups(m)[key].problems if key in groups(m) else 0 for m in runs]
        head = Cell(f"{key} ({'/'.join(map(str, n))} problems)")
        table.rows.append(
            [head, *(per_col[c][i] for i in range(len(runs)) for c in range(len(cols)))]
        )
    return table


def turns_table(runs: Sequence[Metrics], labels: Sequence[str]) -> Table | None:
    turns = sorted({t.turn for m in runs for t in m.by_turn})
    if not turns:
        return None
    timed = any(m.timing_measured for m in runs)
    header = ["turn"]
    for lab in labels:
        header.append(f"{lab}: correct")
        if timed:
            header.append(f"{lab}: fast_1 eager")
    table = Table("Improvement per turn", header)
    for t in turns:
        row = [Cell(str(t + 1))]  # records count turns from 0, people from 1
        for m in runs:
            point = next((p for p in m.by_turn if p.turn == t), None)
            row.append(Cell(fmt_rate(point.correct_rate if point else None)))
            if timed:
                row.append(Cell(fmt_rate(point.fast_1_eager if point else None)))
        table.rows.append(row)
    table.note = "Each sample judged on its attempts up to that turn."
    return table


def _problem_status(p: ProblemResult) -> str:
    if p.n == 0:
        return "not run"
    if p.c:
        return "correct"
    # The most common final status; ties go to the first sample's.
    return Counter(s.status.value for s in p.samples).most_common(1)[0][0]


def problems_table(runs: Sequence[Metrics], labels: Sequence[str]) -> Table:
    keys: list[str] = []
    for m in runs:
        keys.extend(p.key for p in m.problems if p.key not in keys)
    timed = any(m.timing_measured for m in runs)
    scores = read_scores()
    header = ["problem", "checker mutation score"]
    for lab in labels:
        header += [f"{lab}: correct/n", f"{lab}: status"]
        if timed:
            header += [f"{lab}: best ×eager", f"{lab}: % roofline"]
    table = Table("Per problem", header)
    for key in keys:
        found = [next((p for p in m.problems if p.key == key), None) for m in runs]
        first = next(p for p in found if p)
        row = [Cell(key), Cell(_mutation_score(first, scores))]
        for p in found:
            row.append(Cell(f"{p.c}/{p.n}" if p else DASH))
            row.append(Cell(_problem_status(p) if p else "not in run"))
            if timed:
                row.append(Cell(fmt_speedup(p.best_speedup("eager") if p else None)))
                row.append(Cell(fmt_pct(p.best_pct_of_bound() if p else None)))
        if len(runs) > 1 and len({(p.c > 0) if p and p.n else None for p in found}) > 1:
            table.differing.add(len(table.rows))
        table.rows.append(row)
    table.note = (
        "Checker mutation score: realistic bugs in the bundled solution that the checks "
        "refuse (`kernelwright mutate`); below 95% the problem's checks let bugs through."
    )
    if len(runs) > 1:
        table.note += (
            " Rows marked ≠ (highlighted in report.html): the runs disagree on whether the "
            "problem was solved."
        )
    return table


def _mutation_score(p: ProblemResult, scores: dict[str, dict]) -> str:
    """The recorded score of a bundled problem; a problem elsewhere has none."""
    bundled = bundled_problems_dir().resolve()
    if bundled not in Path(p.path).resolve().parents:
        return DASH
    return score_label(scores.get(p.name)) or "not measured"


def targets_table(runs: Sequence[Metrics], labels: Sequence[str]) -> Table | None:
    """Per compile target: compile rate, spill rate and tensor-core use of each run."""
    keys: list[str] = []
    for m in runs:
        keys.extend(t.target for t in m.targets if t.target not in keys)
    if not keys:
        return None
    header = ["target"]
    for lab in labels:
        header += [f"{lab} compiles", f"{lab} spills", f"{lab} tensor cores"]
    table = Table("Compile targets", header)
    for key in keys:
        row = [Cell(key)]
        for m in runs:
            t = next((t for t in m.targets if t.target == key), None)
            if t is None:
                row += [Cell(DASH)] * 3
                continue
            row.append(Cell(f"{fmt_pct(_pct(t.compile_rate))} of {t.attempts}"))
            row.append(Cell(fmt_pct(_pct(t.spill_rate))))
            row.append(Cell(f"{fmt_pct(_pct(t.tensor_core_rate))} of {t.dot_attempts}"))
        table.rows.append(row)
    table.note = (
        "Each attempt's kernels compiled ahead of time for the target: compiles = every kernel "
        "compiled; spills = of those, a kernel spilled registers; tensor cores = of those "
        "calling tl.dot, every dot kernel used tensor/matrix-core instructions."
    )
    return table


def _pct(rate: float | None) -> float | None:
    return None if rate is None else 100 * rate


@dataclass
class Report:
    title: str
    generated_at: str
    runs: list[Metrics]
    labels: list[str]
    tables: list[Table]
    plots: list[tuple[str, str]]  # (title, svg)
    notes: list[str]


def build_report(runs: Sequence[Metrics]) -> Report:
    labels = display_labels(runs)
    tables = [
        runs_table(runs, labels),
        _metric_table("Summary", headline_rows(runs), [m.overall for m in runs], labels),
    ]
    if any(m.timing_measured for m in runs):
        tables.append(fast_p_table(runs, labels))
    tables.append(pass_at_k_table(runs, labels))
    for extra in (
        group_table("Per level", runs, labels, lambda m: m.by_level),
        group_table("Per tag", runs, labels, lambda m: m.by_tag),
        group_table("Per device", runs, labels, lambda m: m.by_device),
        turns_table(runs, labels),
        targets_table(runs, labels),
    ):
        if extra is not None:
            tables.append(extra)
    tables.append(problems_table(runs, labels))
    figures = [
        ("Speedup distribution", plots.speedup_distribution(runs, labels)),
        ("% of roofline per problem", plots.roofline_per_problem(runs, labels)),
        ("fast_p curves", plots.fast_p_curves(runs, labels)),
        ("Improvement per turn", plots.improvement_per_turn(runs, labels)),
        ("Compile targets", plots.target_rates(runs, labels)),
    ]
    notes = []
    for m, label in zip(runs, labels, strict=True):
        notes.extend(f"{label}: {n}" for n in m.notes)
    title = "kernelwright eval: " + (labels[0] if len(runs) == 1 else " vs ".join(labels))
    return Report(
        title=title,
        generated_at=now(),
        runs=list(runs),
        labels=labels,
        tables=tables,
        plots=[(t, svg) for t, svg in figures if svg],
        notes=notes,
    )


# --- rendering --------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_cell(cell: Cell) -> str:
    text = _md_escape(cell.text)
    if cell.cls == "best":
        text = f"**{text}**"
    if cell.delta:
        text += f" ({cell.delta})"
    return text


def render_markdown(report: Report) -> str:
    lines = [f"# {report.title}", "", f"Generated {report.generated_at}.", ""]
    if any(m.replay for m in report.runs):
        replays = [lab for lab, m in zip(report.labels, report.runs, strict=True) if m.replay]
        lines += [
            f"> **Replay:** {', '.join(replays)} served recorded answers, not a live model.",
            "",
        ]
    lines += [f"- {n}" for n in report.notes]
    if report.notes:
        lines.append("")
    for table in report.tables:
        lines += [f"## {table.title}", ""]
        lines.append("| " + " | ".join(_md_escape(h) for h in table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        for i, row in enumerate(table.rows):
            cells = [_md_cell(c) for c in row]
            if i in table.differing:
                cells[0] = f"**≠ {cells[0]}**"
            lines.append("| " + " | ".join(cells) + " |")
        if table.note:
            lines += ["", f"_{table.note}_"]
        lines.append("")
    # The definitions travel with the report: a link into the repository would point to
    # nothing for a wheel install.
    lines.append(re.sub(r"^## ", "### ", METRICS_MD.read_text(encoding="utf-8"), flags=re.M))
    return "\n".join(lines) + "\n"


_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ r.title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1b1f24; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.meta { color: #57606a; font-size: .9rem; }
.replay { background: #fff1c2; border: 2px solid #d4a72c; padding: .6rem 1rem; font-weight: 600;
          border-radius: 6px; margin: 1rem 0; }
.notes { background: #f6f8fa; border-left: 4px solid #57606a; padding: .5rem 1rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .88rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: right; }
th { background: #f6f8fa; }
td:first-child, th:first-child { text-align: left; }
td.best { background: #dafbe1; font-weight: 700; }
tr.diff td { background: #fff8c5; }
span.better { color: #1a7f37; font-size: .8em; margin-left: .3em; }
span.worse { color: #cf222e; font-size: .8em; margin-left: .3em; }
.note { color: #57606a; font-size: .85rem; font-style: italic; }
pre.metrics { white-space: pre-wrap; font-size: .85rem; background: #f6f8fa; padding: .6rem; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
footer { margin-top: 2rem; color: #57606a; font-size: .8rem; }
</style>
</head>
<body>
<h1>{{ r.title }}</h1>
<div class="meta">Generated {{ r.generated_at }} · {{ r.runs|length }} run(s)</div>
{% if replays %}
<div class="replay">REPLAY: {{ replays|join(", ") }} served recorded answers from a transcript,
not a live model. {{ "Its" if replays|length == 1 else "Their" }} numbers show the pipeline,
not a model's skill.</div>
{% endif %}
{% if r.notes %}<div class="notes"><ul>{% for n in r.notes %}<li>{{ n }}</li>{% endfor %}</ul></div>{% endif %}
{% for t in r.tables %}
<h2>{{ t.title }}</h2>
<div class="scroll"><table>
<thead><tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr{% if loop.index0 in t.differing %} class="diff"{% endif %}>
{% for c in row %}<td{% if c.cls %} class="{{ c.cls }}"{% endif %}>{{ c.text }}{% if c.delta %}<span class="{{ c.delta_cls }}">{{ c.delta }}</span>{% endif %}</td>{% endfor %}
</tr>
{% endfor %}</tbody>
</table></div>
{% if t.note %}<div class="note">{{ t.note }}</div>{% endif %}
{% endfor %}
<h2>Plots</h2>
{% if not timed %}<p class="note">No timing was measured in these runs (CPU interpreter):
speedup, roofline and fast_p plots are left out.</p>{% endif %}
{% for title, svg in r.plots %}
<figure aria-label="{{ title }}">{{ svg|safe }}</figure>
{% endfor %}
<details><summary>Metric definitions</summary><pre class="metrics">{{ metrics_md }}</pre></details>
<footer>kernelwright {{ version }}</footer>
</body>
</html>
"""
)


def render_html(report: Report) -> str:
    return _HTML.render(
        r=report,
        replays=[lab for lab, m in zip(report.labels, report.runs, strict=True) if m.replay],
        timed=any(m.timing_measured for m in report.runs),
        metrics_md=METRICS_MD.read_text(encoding="utf-8"),
        version=kernelwright.__version__,
    )


def write_report(run_dirs: Sequence[str | Path], out: str | Path | None = None) -> ReportFiles:
    """Compute the metrics of every run and write the three report files."""
    if not run_dirs:
        raise ReportError("give at least one run directory")
    runs = [load_run(d) for d in run_dirs]
    target = Path(out) if out is not None else Path(run_dirs[0])
    target.mkdir(parents=True, exist_ok=True)
    report = build_report(runs)
    files = ReportFiles(
        html=target / "report.html",
        markdown=target / "report.md",
        metrics=target / "metrics.json",
        runs=runs,
    )
    write_metrics(target, runs, report.generated_at)
    files.markdown.write_text(render_markdown(report), encoding="utf-8")
    files.html.write_text(render_html(report), encoding="utf-8")
    return files


def write_metrics(target: Path, runs: Sequence[Metrics], generated_at: str | None = None) -> Path:
    data = MetricsFile(generated_at=generated_at or now(), runs=list(runs))
    return RunDir(target).write_json("metrics.json", data.model_dump(mode="json"))
