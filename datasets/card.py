"""The dataset card (README.md of a corpus folder) and its plots.

The card's YAML header declares one Hugging Face config per table and subset, so
``datasets.load_dataset(CORPUS_DIR, "sft_verified")`` works on the folder as it is.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from kernelwright.datasets.contamination import CONTAMINATION_NEAR_DUP
from kernelwright.datasets.reward import REWARD_VERSION, reward
from kernelwright.datasets.schema import AttemptEntry, trajectories
from kernelwright.datasets.split import SPLITS

if TYPE_CHECKING:
    from kernelwright.datasets.build import BuildReport

# SPDX ids as Hugging Face's card metadata spells them.
_HF_LICENCES = {"Apache-2.0": "apache-2.0", "MIT": "mit", "CC-BY-4.0": "cc-by-4.0"}


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    return plt, fig, ax


def _save(plt, fig, out: Path, name: str) -> str:
    rel = f"plots/{name}.png"
    (out / "plots").mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / rel)
    plt.close(fig)
    return rel


def plots(attempts: list[AttemptEntry], kept: dict[str, str], out: Path) -> dict[str, str]:
    """PNG plots of the corpus; a plot with nothing to show is not drawn."""
    made: dict[str, str] = {}
    if not attempts:
        return made

    plt, fig, ax = _figure()
    statuses = sorted({a.outcome.status.value for a in attempts})
    backends = [
        b for b in ("gpu", "interpreter", "none") if any(a.verification == b for a in attempts)
    ]
    counts = Counter((a.outcome.status.value, a.verification) for a in attempts)
    bottom = [0] * len(statuses)
    for b in backends:
        heights = [counts[(s, b)] for s in statuses]
        ax.bar(statuses, heights, bottom=bottom, label=b)
        bottom = [x + h for x, h in zip(bottom, heights, strict=True)]
    ax.set_ylabel("attempts")
    ax.set_title("Attempt outcomes by verification backend")
    ax.legend()
    ax.tick_params(axis="x", rotation=30)
    made["status"] = _save(plt, fig, out, "status")

    speedups = [a.speedup for a in attempts if a.attempt_id in kept and a.speedup]
    if speedups:
        plt, fig, ax = _figure()
        ax.hist([math.log2(s) for s in speedups], bins=20)
        ax.axvline(0.0, color="black", linewidth=1)
        ax.set_xlabel("log2 speedup over eager PyTorch")
        ax.set_ylabel("kernels")
        ax.set_title("Speedup of the GPU-verified SFT kernels")
        made["speedup"] = _save(plt, fig, out, "speedup")

    plt, fig, ax = _figure()
    ax.hist([reward(a.outcome).total for a in attempts], bins=24)
    ax.set_xlabel(f"reward ({REWARD_VERSION})")
    ax.set_ylabel("attempts")
    ax.set_title("Per-turn reward")
    made["reward"] = _save(plt, fig, out, "reward")

    solved_at = [
        next(a.turn for a in t.turns if a.correct) for t in trajectories(attempts) if t.solved
    ]
    if solved_at:
        plt, fig, ax = _figure()
        top = max(solved_at)
        ax.hist(solved_at, bins=range(top + 2), align="left", rwidth=0.8)
        ax.set_xlabel("turn of the first correct kernel")
        ax.set_ylabel("trajectories")
        ax.set_title("Turns to solve")
        made["turns_to_solve"] = _save(plt, fig, out, "turns_to_solve")
    return made


# The config the card's loading example shows: the first of these the corpus has.
_EXAMPLE_CONFIGS = (
    ("sft", "verified"),
    ("sft", "interpreter_verified"),
    ("rl", "gpu"),
    ("rl", "interpreter"),
    ("sft", "synthetic_repair"),
    ("sft", "synthetic_repair_interpreter"),
    ("attempts", None),
)


def _loading_snippet(report: BuildReport) -> list[str]:
    """How to load the corpus, naming a config and files this corpus really has."""
    for table, subset in _EXAMPLE_CONFIGS:
        files = [f for f in report.files if (f.table, f.subset) == (table, subset)]
        if files:
            break
    else:
        return []
    order = {split: i for i, split in enumerate(SPLITS)}
    data_files = ", ".join(
        f'"{f.split}": "{f.path}"' for f in sorted(files, key=lambda f: order[f.split])
    )
    return [
        "```python",
        "import datasets",
        "",
        "# in this folder:",
        f'{table} = datasets.load_dataset("parquet", data_files={{{data_files}}})',
        f'# or, from anywhere: datasets.load_dataset(CORPUS_DIR, "{_config_name(table, subset)}")',
        "```",
    ]


def _config_name(table: str, subset: str | None) -> str:
    return table if subset is None else f"{table}_{subset}"


def _yaml_header(report: BuildReport) -> list[str]:
    lines = [
        "---",
        f"license: {_HF_LICENCES.get(report.licence, 'other')}",
        "pretty_name: kernelwright kernel corpus",
        "tags: [triton, gpu-kernels, code, sft, rl]",
        "configs:",
    ]
    configs: dict[str, list[tuple[str, str]]] = {}
    for f in report.files:
        configs.setdefault(_config_name(f.table, f.subset), []).append((f.split, f.path))
    for name, files in configs.items():
        lines += [f"- config_name: {name}", "  data_files:"]
        for split, path in sorted(files, key=lambda x: SPLITS.index(x[0])):
            lines += [f"  - split: {split}", f"    path: {path}"]
    lines.append("---")
    return lines


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _speedup_summary(attempts: list[AttemptEntry]) -> str:
    speedups = [a.speedup for a in attempts if a.correct and a.speedup]
    if not speedups:
        return "No GPU timings: every verdict in this corpus came from the CPU interpreter."
    geo = math.exp(statistics.fmean(math.log(s) for s in speedups))
    return (
        f"Correct kernels timed on a GPU: {len(speedups)}; speedup over eager PyTorch: "
        f"median {statistics.median(speedups):.2f}x, geometric mean {geo:.2f}x, "
        f"max {max(speedups):.2f}x; faster than eager: "
        f"{sum(s > 1 for s in speedups) / len(speedups):.0%}."
    )


def render(report: BuildReport, plot_files: dict[str, str], attempts: list[AttemptEntry]) -> str:
    c = report.counts
    lines = _yaml_header(report)
    lines += [
        "",
        "# kernelwright kernel corpus",
        "",
        "Triton kernels written for PyTorch reference problems, each checked by kernelwright's "
        "sandbox against the reference (several seeds, every shape set, guards against gaming), "
        "with the whole trajectories that produced them: prompts, answers, feedback, verdicts "
        f"and timings. Built by kernelwright {report.kernelwright}, corpus schema "
        f"v{report.schema_version}, reward `{report.reward_version}`.",
        "",
        "## Contents",
        "",
    ]
    lines += _table(
        ["config", "what a row is", *SPLITS],
        [
            [
                _config_name(t, s),
                desc,
                *[
                    sum(f.rows for f in report.files if (f.table, f.subset, f.split) == (t, s, sp))
                    for sp in SPLITS
                ],
            ]
            for t, s, desc in (
                ("sft", "verified", "chat ending in a kernel verified correct on a GPU"),
                (
                    "sft",
                    "interpreter_verified",
                    "chat ending in a kernel verified on the CPU interpreter only",
                ),
                ("rl", "gpu", "multi-turn episode with per-turn rewards, verified on a GPU"),
                ("rl", "interpreter", "multi-turn episode verified on the CPU interpreter"),
                (
                    "sft",
                    "synthetic_repair",
                    "SYNTHETIC: an injected bug, the checker's feedback, the fix (GPU-checked)",
                ),
                (
                    "sft",
                    "synthetic_repair_interpreter",
                    "SYNTHETIC: an injected bug, the checker's feedback, the fix (interpreter)",
                ),
                ("attempts", None, "every attempt of every run, labelled (not a training set)"),
            )
            if any(f.table == t and f.subset == s for f in report.files)
        ],
    )
    lines += ["", *_loading_snippet(report), ""]
    lines += [
        "SFT rows have `kind` `solve` (the problem as first asked, then the verified answer) or "
        "`repair` (the problem, a failed answer, the feedback on it, then the verified fix). "
        "The `synthetic_repair` subsets hold repair pairs whose failed answer is a bug that "
        "`kernelwright mutate` injected into a correct solution (origin `synthetic-mutant`), "
        "with the checker's real feedback; no model wrote them, and they are never mixed "
        "into the model-written subsets. "
        "RL rows are episodes: `prompt`, then `turns` with each turn's messages, answer, verdict, "
        "reward and reward components; see REWARD.md in kernelwright's `datasets/` for the "
        "formulas.",
        "",
        "## Counts",
        "",
    ]
    lines += _table(
        ["what", "count"],
        [
            ["attempts", c["attempts"]],
            ["trajectories", c["trajectories"]],
            [
                "problems (groups after merging near-duplicate sources)",
                f"{c['problems']} ({c['problem_groups']})",
            ],
            ["correct on a GPU", c["correct_gpu"]],
            ["correct on the CPU interpreter", c["correct_interpreter"]],
            ["SFT kernels, GPU-verified (after dedup)", c["sft_verified_kernels"]],
            ["SFT kernels, interpreter-verified (after dedup)", c["sft_interpreter_kernels"]],
            ["repair pairs", c["repair_pairs"]],
            [
                "synthetic repair pairs (injected bugs, `kernelwright mutate`), GPU / interpreter",
                f"{c.get('synthetic_repair_pairs_gpu', 0)} / "
                f"{c.get('synthetic_repair_pairs_interpreter', 0)}",
            ],
            [
                "RL episodes, GPU / interpreter",
                f"{c['episodes_gpu']} / {c['episodes_interpreter']}",
            ],
        ],
    )
    lines += [
        "",
        "Attempt outcomes: " + ", ".join(f"{k} {v}" for k, v in report.status.items()) + ".",
    ]
    lines += ["", "## Sources", ""]
    lines += _table(
        ["run", "kind", "path"], [[r["run_id"], r["kind"], r["path"]] for r in report.runs]
    )
    lines += [
        "",
        "Models: " + (", ".join(f"`{m}` ({n})" for m, n in report.models.items()) or "none") + ". "
        "Origins: " + (", ".join(f"{o} ({n})" for o, n in report.origins.items()) or "none") + " "
        "(`live`: a model answered during the run; `replay`: recorded answers served again; "
        "`inductor-teacher`: Triton generated by torch.compile, wrapped as a candidate).",
        "",
        "Problem origins: "
        + ", ".join(
            f"{o} ({n})"
            for o, n in Counter(p["origin"] for p in report.problems.values()).most_common()
        )
        + ".",
        "",
        "## Licence",
        "",
        f"The corpus is released under {report.licence}. Model answers are also subject to the "
        "terms of the models that wrote them (listed above); problems from outside kernelwright "
        "(`external`) keep their own licences.",
        "",
        "## Filters",
        "",
        "- `sft_verified` holds only kernels whose verdict was `correct` on a GPU. Kernels "
        "correct only on Triton's CPU interpreter (no timing, no GPU memory model) are kept apart, "
        "in `sft_interpreter_verified` (and their episodes in `rl_interpreter`)"
        + (
            " (included in this build)."
            if report.include_interpreter
            else "; this build left them out (`--include-interpreter` adds them)."
        ),
        f"- Deduplication per problem group, best kernel kept (GPU-verified, then fastest): "
        f"{c['exact_duplicates']} exact duplicates (same code without comments, docstrings or "
        f"formatting) and {c['near_duplicates']} near duplicates (MinHash over 5-token shingles, "
        f"Jaccard >= {report.near_dup_threshold}) removed. Identical episodes removed: "
        f"{c['duplicate_episodes']}.",
        "- A record that appears in several runs (a rescore) is kept once: the GPU verdict, then "
        "the newest.",
        "",
        "## Splits",
        "",
        "Splits are by problem, never by row: problems that compute nearly the same thing (the "
        "same model code with other sizes, comments or names) form one group, and a hash of the group picks its split (80/10/10 in expectation), so a problem "
        "and its twins are in exactly one split in every build.",
        "",
    ]
    per_split = Counter(p["split"] for p in report.problems.values())
    lines += _table(["split", "problems"], [[s, per_split[s]] for s in SPLITS])
    contaminated = {k: p for k, p in report.problems.items() if p["contamination"]}
    lines += [
        "",
        "## Contamination",
        "",
        f"Checked against {c['eval_suite_problems']} eval-suite problems "
        f"({', '.join(report.eval_suites)}): exact (same file) and near (what the problems compute, "
        f"MinHash Jaccard >= {CONTAMINATION_NEAR_DUP}) matches are flagged in the `contaminated` column, not dropped. "
        f"Flagged problems: {len(contaminated)} of {c['problems']}. To train a model that will "
        'be evaluated on that suite: `ds.filter(lambda r: not r["contaminated"])`.',
        "",
    ]
    if contaminated:
        lines += _table(
            ["problem", "match", "eval problem", "similarity"],
            [
                [
                    p["name"],
                    p["contamination"]["match"],
                    p["contamination"]["eval_problem"],
                    p["contamination"]["similarity"],
                ]
                for p in contaminated.values()
            ],
        )
        lines.append("")
    lines += ["## Summary statistics", "", _speedup_summary(attempts), ""]
    solved = [t for t in trajectories(attempts) if t.solved]
    total_t = c["trajectories"]
    if total_t:
        lines += [
            f"Trajectories solved: {len(solved)} of {total_t} ({len(solved) / total_t:.0%}).",
            "",
        ]
    for name, title in (
        ("status", "Attempt outcomes"),
        ("speedup", "Speedups"),
        ("reward", "Rewards"),
        ("turns_to_solve", "Turns to solve"),
    ):
        if name in plot_files:
            lines += [f"![{title}]({plot_files[name]})", ""]
    return "\n".join(lines)
