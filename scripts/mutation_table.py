"""The README's mutation tables, from the scores `kernelwright mutate --bundled --record` stored.

    python scripts/mutation_table.py            # reference_kernels/mutation_scores.json
    python scripts/mutation_table.py FILE.json

Prints two markdown tables: each bundled problem's score with its survivors (reached or not,
as the run marked them) and the equivalent mutants left out, then the diagnosis accuracy per
bug class summed over all problems. Nothing is re-run: a table is only as recent as the run
that recorded the scores, and each row says which revision that was.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kernelwright.evals.mutants import CLASSES
from kernelwright.evals.mutation import TARGET_SCORE, scores_file

DIAGNOSIS = ("named", "wrong", "silent")


def _survivors(survivors: list[dict]) -> str:
    """'3: other 2, offset 1 (1 unreached)': how many, by class, and how many no check ran."""
    if not survivors:
        return "none"
    by_class: dict[str, list[dict]] = {}
    for s in survivors:
        by_class.setdefault(s["class"], []).append(s)
    parts = []
    for cls, group in sorted(by_class.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        unreached = sum(s.get("reached") is False for s in group)
        parts.append(f"{cls} {len(group)}" + (f" ({unreached} unreached)" if unreached else ""))
    return f"{len(survivors)}: " + ", ".join(parts)


def score_rows(problems: dict[str, dict]) -> list[str]:
    rows = [
        "| problem | score | equivalent (left out) | survivors | measured at |",
        "|---|---|---|---|---|",
    ]
    refused = counted = 0
    for name, e in sorted(problems.items(), key=lambda kv: (kv[1].get("score") or 0, kv[0])):
        n = e["compiling"] - e.get("equivalent", 0)
        refused += e["refused"]
        counted += n
        score = "n/a" if e.get("score") is None else f"{100 * e['score']:.0f}% ({e['refused']}/{n})"
        if e.get("score") is not None and e["score"] >= TARGET_SCORE:
            score = f"**{score}**"
        survivors = _survivors(e.get("survivors", []))
        rev = ((e.get("versions") or {}).get("git_revision") or "")[:7]
        when = f"{rev} {e.get('measured_at', '')}".strip()
        rows.append(f"| {name} | {score} | {e.get('equivalent', 0)} | {survivors} | {when} |")
    if counted:
        rows.append(
            f"| **all {len(problems)}** | {100 * refused / counted:.1f}% "
            f"({refused}/{counted}) | | | |"
        )
    return rows


def diagnosis_rows(problems: dict[str, dict]) -> list[str]:
    totals: dict[str, dict[str, int]] = {}
    for e in problems.values():
        for cls, st in (e.get("per_class") or {}).items():
            t = totals.setdefault(cls, dict.fromkeys(("refused", *DIAGNOSIS), 0))
            for k in t:
                t[k] += st.get(k, 0)
    rows = [
        "| class | refused | names it | names another | says nothing |",
        "|---|---|---|---|---|",
    ]
    for cls in CLASSES:
        t = totals.get(cls)
        if not t:
            continue
        shares = [
            f"{t[k]} ({100 * t[k] / t['refused']:.0f}%)" if t["refused"] else "0" for k in DIAGNOSIS
        ]
        rows.append(f"| {cls} | {t['refused']} | " + " | ".join(shares) + " |")
    return rows


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else scores_file()
    try:
        problems = json.loads(path.read_text(encoding="utf-8"))["problems"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"error: {path}: not a mutation scores file ({e})", file=sys.stderr)
        return 2
    print("\n".join(score_rows(problems)))
    print()
    print("\n".join(diagnosis_rows(problems)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
