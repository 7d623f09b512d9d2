"""``problems list``: the names one types are never cut, and a KernelBench folder's problems get
the level and key an eval gives them (``level1/NAME``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import TESTS
from kernelwright.problem import bundled_problems_dir, find_problems, read_problem

RUN_CLI = "import sys; from kernelwright.cli import main; sys.argv[0] = 'kernelwright'; main()"


def problems_list(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, "problems", "list", "--no-degenerate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": str(columns)},
    )


def test_names_are_shown_in_full_in_a_narrow_terminal():
    proc = problems_list(columns=80)
    assert proc.returncode == 0, proc.stderr
    names = [read_problem(f) for f in find_problems(bundled_problems_dir())]
    for info in names:
        assert f"level{info.level}/{info.name} " in proc.stdout, info.name


def test_a_kernelbench_folder_gets_its_level_and_eval_key(tmp_path: Path):
    level1 = tmp_path / "KernelBench" / "level1"
    shutil.copytree(TESTS / "problems" / "kernelbench_style", level1)
    proc = problems_list(str(level1), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows and all(r["level"] == 1 for r in rows)
    assert {r["key"] for r in rows} == {f"level1/{p.stem}" for p in level1.glob("*.py")}
    table = problems_list(str(level1), columns=80).stdout
    assert "level1/2_Standard_matrix_multiplication_ " in table
