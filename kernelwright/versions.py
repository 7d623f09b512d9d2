"""Versions and revision of everything that produced a result, for run.json and Outcome.env."""

from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path

import kernelwright


@functools.cache
def git_revision() -> str | None:
    root = Path(kernelwright.__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=5,
    ).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


@functools.cache
def library_versions() -> dict[str, str | None]:
    import torch
    import triton

    return {
        "kernelwright": kernelwright.__version__,
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "triton": triton.__version__,
        "cuda": torch.version.cuda,
    }
