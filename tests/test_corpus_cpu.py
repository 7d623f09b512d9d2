"""The corpus on a machine without a GPU, as the README has it: the README's own corpus
commands on runs made here (an empty corpus is an error that names --include-interpreter),
the dataset card's loading example run as written, and `import datasets` from the
repository's root is Hugging Face's."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kernelwright.agent.commands import generate

REPO = Path(__file__).resolve().parents[1]


def python(code: str, cwd: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_import_datasets_from_the_repository_root_is_hugging_face():
    pytest.importorskip("datasets")  # Hugging Face's, from the dev extra
    got = python("import datasets; print(datasets.__file__); print(datasets.load_dataset)", REPO)
    assert got.returncode == 0, got.stderr
    where = Path(got.stdout.splitlines()[0]).resolve()
    assert where.parent != REPO / "datasets" and "site-packages" in where.parts
    # The package layout is kept: the folder is kernelwright.datasets.
    got = python("import kernelwright.datasets.build as b; print(b.__file__)", REPO)
    assert got.returncode == 0 and Path(got.stdout.strip()).parent == REPO / "datasets"


def test_without_hugging_face_the_import_fails_and_says_why():
    got = python("import datasets", REPO, "-S")  # no site-packages: no Hugging Face
    assert got.returncode == 1
    assert got.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: No module named 'datasets' (Hugging Face's) is installed; the "
        "datasets/ folder of kernelwright's repository is kernelwright.datasets: "
        "pip install datasets"
    )


def readme_corpus_builds() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## The training corpus") :]
    block = section[section.index("```bash") : section.index("```\n", section.index("```bash") + 7)]
    return [
        line.split("#")[0].strip()
        for line in block.splitlines()
        if line.startswith("kernelwright corpus build")
    ]


def test_the_readme_corpus_commands_on_runs_made_without_a_gpu(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    pytest.importorskip("datasets")
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    app = typer.Typer()
    app.command()(generate)
    run = tmp_path / "runs" / "softmax"
    # The corpus commands are tested, not the sandbox: the plain one starts fastest (Docker,
    # auto's choice in CI, takes several times longer).
    args = ["softmax", "--model", "replay:demo", "--workers", "1", "--sandbox", "subprocess"]
    args += ["--out", str(run)]
    assert CliRunner().invoke(app, args).exit_code == 0

    gpu_only, with_interpreter = readme_corpus_builds()
    assert "--include-interpreter" not in gpu_only and "--include-interpreter" in with_interpreter
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def sh(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    got = sh(gpu_only)
    assert got.returncode == 1, got.stdout + got.stderr
    error = got.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: no SFT or RL rows: ")
    assert "verified only on the CPU interpreter" in error[0]
    assert "add --include-interpreter" in error[0]

    got = sh(with_interpreter)
    assert got.returncode == 0, got.stdout + got.stderr
    corpus = (
        tmp_path / shlex.split(with_interpreter)[shlex.split(with_interpreter).index("--out") + 1]
    )
    assert "sft/interpreter_verified:" in got.stdout

    card = (corpus / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", card, re.S).group(1)
    by_config = re.search(
        r'# or, from anywhere: (datasets\.load_dataset\(CORPUS_DIR, "\w+"\))', snippet
    )
    assert by_config is not None, snippet
    cache = tmp_path / "hf"
    code = (
        snippet
        + f"\nCORPUS_DIR = {str(corpus)!r}\n"
        + f"again = {by_config.group(1)}\n"
        + "table = [v for k, v in globals().items() if isinstance(v, datasets.DatasetDict)][0]\n"
        + "print(table['train'].num_rows, again['train'].num_rows)\n"
    )
    got = subprocess.run(
        [sys.executable, "-c", code],
        cwd=corpus,
        env={**env, "HF_DATASETS_CACHE": str(cache), "HF_DATASETS_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert got.returncode == 0, got.stderr[-3000:]
    rows, again = map(int, got.stdout.split()[-2:])
    assert rows > 0 and rows == again
