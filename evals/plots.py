"""The report's plots, drawn with matplotlib and returned as inline SVG text.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, so safe in any
thread and under any backend). Text stays text in the SVG (``svg.fonttype: none``), and
each figure gets its own id salt so that several SVGs can live in one HTML page.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from kernelwright.evals.metrics import Metrics, fast_p_rate

# One colour per run, in the order given; colour-blind safe (Okabe-Ito).
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BASELINE_STYLE = {"eager": "-", "compiled": "--"}
BASELINE_NAME = {"eager": "eager", "compiled": "torch.compile"}


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _svg(fig, salt: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def speedup_distribution(runs: Sequence[Metrics], labels: Sequence[str]) -> str | None:
    """Histogram of correct samples' speedups over eager, log scale, one outline per run."""
    data = [
        [s.speedup_eager for p in m.problems for s in p.samples if s.correct and s.speedup_eager]
        for m in runs
    ]
    if not any(data):
        return None
    lo = min(min(d) for d in data if d)
    hi = max(max(d) for d in data if d)
    lo, hi = min(lo, 0.5), max(hi, 2.0)
    edges = [2 ** (math.log2(lo) + i * (math.log2(hi) - math.log2(lo)) / 24) for i in range(25)]
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    for i, (d, label) in enumerate(zip(data, labels, strict=True)):
        if d:
            ax.hist(d, bins=edges, histtype="step", linewidth=2, color=_color(i), label=label)
    ax.set_xscale("log", base=2)
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("speedup over eager PyTorch (correct samples, log scale)")
    ax.set_ylabel("samples")
    ax.set_title("Speedup distribution")
    ax.legend(fontsize=8)
    return _svg(fig, "speedup")


def roofline_per_problem(runs: Sequence[Metrics], labels: Sequence[str]) -> str | None:
    """Best % of the roofline bound reached per problem, one bar per run."""
    keys: list[str] = []
    for m in runs:
        keys.extend(p.key for p in m.problems if p.key not in keys)
    values = [{p.key: p.best_pct_of_bound() for p in m.problems} for m in runs]
    if not any(v is not None for vs in values for v in vs.values()):
        return None
    height = max(2.5, 0.28 * len(keys) * max(1, len(runs)) ** 0.5 + 1.2)
    fig = _figure(7, height)
    ax = fig.add_subplot()
    bar = 0.8 / len(runs)
    for i, (vs, label) in enumerate(zip(values, labels, strict=True)):
        ys = [j + i * bar for j in range(len(keys))]
        ax.barh(ys, [vs.get(k) or 0.0 for k in keys], height=bar, color=_color(i), label=label)
    ax.set_yticks([j + 0.4 - bar / 2 for j in range(len(keys))], keys, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(100.0, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("% of roofline bound (best correct sample; 100% = physical limit)")
    ax.set_title("% of roofline per problem")
    ax.legend(fontsize=8)
    return _svg(fig, "roofline")


def fast_p_curves(runs: Sequence[Metrics], labels: Sequence[str]) -> str | None:
    """fast_p as a function of p, against eager (solid) and torch.compile (dashed)."""
    timed = [(i, m) for i, m in enumerate(runs) if m.timing_measured]
    if not timed:
        return None
    best = [
        s.speedup(b)
        for _, m in timed
        for p in m.problems
        for s in p.samples
        for b in BASELINE_STYLE
        if s.correct and s.speedup(b)
    ]
    top = max([2.5, *(min(v * 1.1, 16.0) for v in best)])
    ps = [top * j / 200 for j in range(201)]
    fig = _figure(7, 3.4)
    ax = fig.add_subplot()
    for i, m in timed:
        for b, style in BASELINE_STYLE.items():
            ys = [fast_p_rate(m.problems, b, p) or 0.0 for p in ps]
            ax.plot(
                ps,
                ys,
                style,
                color=_color(i),
                label=f"{labels[i]} vs {BASELINE_NAME[b]}",
                drawstyle="steps-post",
            )
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("p (speedup threshold)")
    ax.set_ylabel("fast_p")
    ax.set_title("fast_p: correct and more than p× faster")
    ax.legend(fontsize=8)
    return _svg(fig, "fastp")


def improvement_per_turn(runs: Sequence[Metrics], labels: Sequence[str]) -> str | None:
    """Correct rate (and fast_1 over eager, when timed) after each turn."""
    if not any(m.by_turn for m in runs):
        return None
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    for i, (m, label) in enumerate(zip(runs, labels, strict=True)):
        turns = [t.turn for t in m.by_turn]
        ax.plot(
            turns,
            [t.correct_rate for t in m.by_turn],
            "-o",
            color=_color(i),
            label=f"{label}: correct",
        )
        if m.timing_measured:
            ax.plot(
                turns,
                [t.fast_1_eager or 0.0 for t in m.by_turn],
                "--s",
                color=_color(i),
                label=f"{label}: fast_1 vs eager",
            )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("turn")
    ax.set_ylabel("fraction (mean over problems)")
    ax.set_title("Improvement per turn")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    return _svg(fig, "turns")


def target_rates(runs: Sequence[Metrics], labels: Sequence[str]) -> str | None:
    """Per compile target: compile rate, spill rate and tensor-core use, one panel each."""
    keys: list[str] = []
    for m in runs:
        keys.extend(t.target for t in m.targets if t.target not in keys)
    if not keys:
        return None
    panels = (
        ("compile_rate", "compiles (% of attempts)"),
        ("spill_rate", "spills (% of compiled)"),
        ("tensor_core_rate", "tl.dot on tensor cores (% of compiled with a dot)"),
    )
    fig = _figure(10, max(2.5, 0.35 * len(keys) * max(1, len(runs)) ** 0.5 + 1.2))
    bar = 0.8 / len(runs)
    for p, (field, title) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), p + 1)
        for i, (m, label) in enumerate(zip(runs, labels, strict=True)):
            stats = {t.target: getattr(t, field) for t in m.targets}
            ys = [j + i * bar for j in range(len(keys))]
            xs = [100 * (stats.get(k) or 0.0) for k in keys]
            ax.barh(ys, xs, height=bar, color=_color(i), label=label)
        names = [
            f"{k} ({next(t.arch for m in runs for t in m.targets if t.target == k)})" for k in keys
        ]
        ax.set_yticks([j + 0.4 - bar / 2 for j in range(len(keys))], names if p == 0 else [])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_title(title, fontsize=9)
    fig.axes[0].legend(fontsize=8)
    return _svg(fig, "targets")
