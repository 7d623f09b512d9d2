"""Usage errors are usage errors: every numeric, enum and path flag of every command that is
given a bad value ends in one line on stderr and exit status 2, before any work (no torch
imported, no worker started, no run directory written)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = "reference_kernels/solutions/softmax.py"

PROBE = """
import json, sys
for blocked in json.loads(sys.argv[2]):
    sys.modules[blocked] = None  # as if not installed
sys.argv = ["kernelwright", *json.loads(sys.argv[1])]
from kernelwright.cli import main
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "torch": "torch" in sys.modules}))
"""


def run_cli(args: list[str], cwd: Path, blocked: tuple[str, ...] = ()) -> tuple[dict, str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(list(blocked))],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "HOME": str(cwd)},
    )
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


SOL = str(ROOT / SOLUTION)
CASES = {
    "check --timeout -5": ["check", "softmax", SOL, "--timeout", "-5"],
    "check --timeout 0": ["check", "softmax", SOL, "--timeout", "0"],
    "check --timeout nan": ["check", "softmax", SOL, "--timeout", "nan"],
    "check --device tpu": ["check", "softmax", SOL, "--device", "tpu"],
    "check --sandbox jail": ["check", "softmax", SOL, "--sandbox", "jail"],
    "check --workers 0": ["check", "softmax", SOL, "--workers", "0"],
    "check --seed -1": ["check", "softmax", SOL, "--seed", "-1"],
    "check --shape huge": ["check", "softmax", SOL, "--shape", "huge"],
    "check missing solution": ["check", "softmax", "nope.py"],
    "check no solution": ["check", "softmax"],
    "check no problem": ["check"],
    "check two forms": ["check", "softmax", SOL, "--pairs", "p.txt"],
    "check --problems alone": ["check", "--problems", str(ROOT / "reference_kernels/problems")],
    "check --pairs missing": ["check", "--pairs", "nope.txt"],
    "generate --timeout 0": ["generate", "softmax", "--model", "replay:demo", "--timeout", "0"],
    "generate --request-timeout -1": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--request-timeout",
        "-1",
    ],
    "generate --turns 0": ["generate", "softmax", "--model", "replay:demo", "--turns", "0"],
    "generate --samples 0": ["generate", "softmax", "--model", "replay:demo", "--samples", "0"],
    "generate --concurrency 0": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--concurrency",
        "0",
    ],
    "generate --target-roofline 150": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--target-roofline",
        "150",
    ],
    "generate --max-cost -1": ["generate", "softmax", "--model", "replay:demo", "--max-cost", "-1"],
    "generate --temperature -1": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--temperature",
        "-1",
    ],
    "generate --max-wall soon": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--max-wall",
        "soon",
    ],
    "generate --sandbox jail": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--sandbox",
        "jail",
    ],
    "generate --executor dask": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--executor",
        "dask",
    ],
    "generate --prices missing": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--prices",
        "nope.json",
    ],
    "generate --record no folder": [
        "generate",
        "softmax",
        "--model",
        "replay:demo",
        "--record",
        "nope/t.jsonl",
    ],
    "eval --prices missing": ["eval", "level1", "--model", "replay:demo", "--prices", "nope.json"],
    "corpus build --eval-suite missing": [
        "corpus",
        "build",
        ".",
        "--out",
        "c",
        "--eval-suite",
        "nope",
    ],
    "corpus teach missing suite": ["corpus", "teach", "nope"],
    "generate --shape huge": ["generate", "softmax", "--model", "replay:demo", "--shape", "huge"],
    "generate no such problem": ["generate", "nope", "--model", "replay:demo"],
    "eval --shape huge": ["eval", "level1", "--model", "replay:demo", "--shape", "huge"],
    "eval --timeout 0": ["eval", "level1", "--model", "replay:demo", "--timeout", "0"],
    "eval --samples 0": ["eval", "level1", "--model", "replay:demo", "--samples", "0"],
    "eval --workers 0": ["eval", "level1", "--model", "replay:demo", "--workers", "0"],
    "eval no such suite": ["eval", "level9", "--model", "replay:demo"],
    "mutate --per-class -1": ["mutate", "softmax", "--per-class", "-1"],
    "mutate --device tpu": ["mutate", "softmax", "--device", "tpu"],
    "mutate --workers 0": ["mutate", "softmax", "--workers", "0"],
    "report no such run": ["report", "nope"],
    "prompt --shape huge": ["prompt", "softmax", "--shape", "huge"],
    "prompt --variant odd": ["prompt", "softmax", "--variant", "odd"],
    "problems list no folder": ["problems", "list", "nope"],
    "corpus generate --count 0": ["corpus", "generate", "--count", "0", "--out", "gen"],
    "corpus teach --timeout 0": ["corpus", "teach", "--timeout", "0"],
    "corpus teach --workers 0": ["corpus", "teach", "--workers", "0"],
}


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_usage_error_is_one_line_exit_2_before_any_work(args, tmp_path):
    if args[0] in ("generate", "eval"):
        args = [*args, "--out", str(tmp_path / "run")]
    result, stderr = run_cli(args, tmp_path)
    assert result["code"] == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert not result["torch"], "the error came after torch was imported: work had started"
    assert not (tmp_path / "run").exists()


def test_corpus_build_without_the_corpus_extra_is_a_usage_error(tmp_path):
    result, stderr = run_cli(
        ["corpus", "build", str(tmp_path), "--out", str(tmp_path / "c")], tmp_path, ("pyarrow",)
    )
    assert result["code"] == 2
    assert stderr.strip().splitlines() == [
        "error: corpus build writes Parquet with pyarrow, which is not installed: "
        "pip install 'kernelwright[corpus]'"
    ]


def test_the_readme_lists_the_extras_pyproject_defines():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    readme = (ROOT / "README.md").read_text()
    listed = dict(
        re.findall(r"`(\w+)` \(([^)]*)\)", readme.split("The extras:")[1].split("\n\n")[0])
    )

    def names(reqs: list[str]) -> list[str]:
        return [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in reqs]

    assert {k: v.split(", ") for k, v in listed.items()} == {k: names(v) for k, v in extras.items()}


def test_brackets_in_a_message_are_printed_as_they_are():
    """A failure's message starts with "[shape heldout: ...]" and names code such as
    `offs[None, :]`: text, not Rich markup, in JSON and in the human summary."""
    from kernelwright import cli
    from kernelwright.outcome import Outcome, Status

    outcome = Outcome(status=Status.incorrect, message="[shape tiles: M=1066] offs[None, :] < n")
    with cli.out.capture() as cap:
        cli.print_json(outcome.to_json())
    assert json.loads(cap.get())["message"] == outcome.message
    with cli.out.capture() as cap:
        cli._print_outcome("[bold]x.py", outcome)
    assert "[bold]x.py" in cap.get() and outcome.message in cap.get()
