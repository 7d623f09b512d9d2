"""``kernelwright check`` in batch: folders matched by name, a file of pairs, one warm pool,
a JSON summary; and Ctrl-C, sent for real, stops at once and says what was lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import CANDIDATES, ROOT, processes_with

SOLUTIONS = ROOT / "reference_kernels" / "solutions"
FAULTS = CANDIDATES / "faults"

RUN_CLI = "import sys; from kernelwright.cli import main; sys.argv[0] = 'kernelwright'; main()"


def cli(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(cwd), "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_folders_matched_by_name_one_pool_and_a_summary(tmp_path):
    sols = tmp_path / "solutions"
    sols.mkdir()
    for name in ("gelu", "row_sum"):
        shutil.copy(SOLUTIONS / f"{name}.py", sols / f"{name}.py")
    # A wrong answer under a problem's name, and a file named after no problem.
    shutil.copy(SOLUTIONS / "gelu.py", sols / "silu.py")
    (sols / "notes.py").write_text("x = 1\n")
    summary = tmp_path / "out" / "check.json"
    proc = cli(
        "check",
        "--problems",
        str(ROOT / "reference_kernels" / "problems" / "level1"),
        "--solutions",
        str(sols),
        "--summary",
        str(summary),
        "--sandbox",
        "subprocess",
        "--workers",
        "2",
        cwd=tmp_path,
    )
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 1, stderr  # silu.py is not correct
    data = json.loads(summary.read_text())
    by_name = {r["name"]: r["status"] for r in data["results"]}
    assert by_name == {"gelu": "correct", "row_sum": "correct", "silu": "incorrect"}
    assert data["checked"] == data["pairs"] == 3 and data["correct"] == 2
    assert data["solutions_without_problem"] == [str(sols / "notes.py")]
    assert len(data["problems_without_solution"]) == 13  # level 1 has 16 problems
    for name in ("gelu", "row_sum", "silu"):
        assert f"{name}: {sols / name}.py:" in stdout
    assert "2 of 3 correct; 13 problem(s) without a solution" in stderr
    assert "notes.py: no problem of that name" in stderr


def test_a_file_of_pairs_with_bundled_names_and_paths(tmp_path):
    listing = tmp_path / "pairs.txt"
    listing.write_text(
        "# problem solution\n"
        f"softmax {SOLUTIONS / 'softmax.py'}\n"
        f"{FAULTS / 'problem.py'} {FAULTS / 'good.py'}\n"
    )
    proc = cli("check", "--pairs", str(listing), "--json", "--sandbox", "subprocess", cwd=tmp_path)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert [json.loads(line)["status"] for line in stdout.splitlines()] == ["correct", "correct"]


def test_ctrl_c_kills_the_candidate_at_once_and_says_what_was_lost(tmp_path):
    summary = tmp_path / "check.json"
    proc = cli(
        "check",
        str(FAULTS / "problem.py"),
        str(FAULTS / "loop_python.py"),  # hangs in forward
        str(FAULTS / "loop_kernel.py"),
        "--timeout",
        "600",
        "--workers",
        "1",
        "--sandbox",
        "subprocess",
        "--summary",
        str(summary),
        cwd=tmp_path,
    )
    # Wait until the first job is in its worker (its folder holds the candidate), then a bit.
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob("kernelwright-*/worker*/job*/candidate.py")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    time.sleep(3)
    assert processes_with(str(tmp_path)), "the worker should be running"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = proc.communicate(timeout=60)
    stopped_after = time.monotonic() - sent
    assert proc.returncode == 130, stderr
    assert stopped_after < 30  # against a 600 s candidate timeout
    assert "Traceback" not in stderr
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("interrupted: 0 of 2 checked")
    assert f"killed while running: {FAULTS / 'loop_python.py'} (fault_scale_shift)" in line
    assert "not started: 1" in line
    data = json.loads(summary.read_text())
    assert data["interrupted"] and data["killed"] == [str(FAULTS / "loop_python.py")]
    assert data["not_started"] == [str(FAULTS / "loop_kernel.py")]
    assert processes_with(str(tmp_path)) == [], "a worker outlived the interrupted check"
