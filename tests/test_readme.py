"""The README is executable: its marked set-up, demo and test blocks are what CI runs, on a
clean clone (.ci/run), and the demo runs for real here. The test block (pytest, two xdist
workers) is not run from here: this file is part of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, require_or_skip

README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_block.py"), name],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def test_ci_runs_the_readme_blocks_as_written(tmp_path):
    """.ci/run, run against a README whose blocks only say who they are: it must run the
    set-up, then the demo, then the test block, the last with every system dependency
    required, and nothing of its own besides installing those dependencies."""
    fake = tmp_path / "repo"
    (fake / ".ci").mkdir(parents=True)
    (fake / "scripts").mkdir()
    shutil.copy(ROOT / ".ci" / "run", fake / ".ci" / "run")
    shutil.copy(ROOT / "scripts" / "readme_block.py", fake / "scripts" / "readme_block.py")
    (fake / ".ci" / "setup_sandboxes.sh").write_text("echo system-setup\n")
    log = tmp_path / "log"
    (fake / "README.md").write_text(
        "".join(
            f"<!-- readme: {name} -->\n```bash\necho {name}"
            + (' "$KERNELWRIGHT_REQUIRE_SANDBOXES"' if name == "test" else "")
            + f" >> {log}\n```\n\n"
            for name in ("setup", "demo", "test")
        )
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chromium").write_text("#!/bin/sh\n")
    (bin_dir / "chromium").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["bash", str(fake / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == ["setup", "demo", "test bwrap,docker,chromium"]
    assert proc.stdout.strip() == "system-setup"


def test_ci_stops_when_a_readme_block_is_missing(tmp_path):
    fake = tmp_path / "repo"
    (fake / ".ci").mkdir(parents=True)
    (fake / "scripts").mkdir()
    shutil.copy(ROOT / ".ci" / "run", fake / ".ci" / "run")
    shutil.copy(ROOT / "scripts" / "readme_block.py", fake / "scripts" / "readme_block.py")
    (fake / ".ci" / "setup_sandboxes.sh").write_text("true\n")
    (fake / "README.md").write_text("<!-- readme: setup -->\n```bash\ntrue\n```\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chromium").write_text("#!/bin/sh\n")
    (bin_dir / "chromium").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", str(fake / ".ci" / "run")], capture_output=True, env=env)
    assert proc.returncode != 0
    assert b"no block marked <!-- readme: demo -->" in proc.stderr


def test_the_blocks_are_the_promised_ones():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    setup, demo, tests = block("setup"), block("demo"), block("test")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    installed = re.search(r'pip install -e "\.\[([\w,]+)\]"', setup)
    assert installed and set(installed.group(1).split(",")) == set(extras)
    assert "python3 -m venv .venv" in setup and ". .venv/bin/activate" in setup
    assert demo == "kernelwright generate softmax --model replay:demo"
    assert tests == "pytest -q -n 2 --dist loadfile"


def test_the_demo_runs_for_real_from_anywhere(tmp_path):
    """The demo block, as written, in an empty folder: it must end with a correct kernel."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "KERNELWRIGHT_CACHE_DIR": str(tmp_path / "cache"),
    }
    proc = subprocess.run(
        ["bash", "-ec", block("demo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"softmax: correct .*replay", proc.stderr), proc.stderr
    runs = list((tmp_path / "runs").glob("softmax-*/best_kernel.py"))
    assert len(runs) == 1


def test_a_missing_system_dependency_skips_with_how_to_get_it(monkeypatch):
    monkeypatch.delenv("KERNELWRIGHT_REQUIRE_SANDBOXES", raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"docker unavailable: no engine; to run this test: sudo"
    ):
        require_or_skip("docker", False, "no engine")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_or_skip("chromium", False, "no /usr/bin/chromium")
    monkeypatch.setenv("KERNELWRIGHT_REQUIRE_SANDBOXES", "bwrap,docker,chromium")
    with pytest.raises(pytest.fail.Exception, match="chromium is required here"):
        require_or_skip("chromium", False, "no /usr/bin/chromium")
    require_or_skip("bwrap", True, "")
