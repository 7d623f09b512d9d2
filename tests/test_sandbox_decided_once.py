"""``--sandbox auto`` is decided once per run and recorded: a Docker engine that comes up (or
goes) mid-run changes nothing silently, and a fall-back to ``subprocess`` is said once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kernelwright.sandbox import isolation
from kernelwright.sandbox.executors import decide_sandbox
from kernelwright.sandbox.isolation import BackendUnavailable, BwrapBackend, DockerBackend


@pytest.fixture
def fresh_choice(monkeypatch):
    monkeypatch.setattr(isolation, "_auto_choice", None)


def _available(monkeypatch, cls, ok: bool, why: str = "") -> None:
    monkeypatch.setattr(cls, "available", lambda self: (ok, why))


def test_an_engine_that_comes_up_mid_run_does_not_switch_the_backend(
    fresh_choice, monkeypatch, capsys
):
    _available(monkeypatch, DockerBackend, False, "the Docker engine does not answer")
    _available(monkeypatch, BwrapBackend, False, "bwrap is not installed")
    assert isolation.select_backend("auto").name == "subprocess"
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and "sandbox 'subprocess'" in note
    assert "without a network cut" in note and "write protection" in note
    assert "docker: the Docker engine does not answer" in note
    _available(monkeypatch, DockerBackend, True)
    assert isolation.select_backend("auto").name == "subprocess"
    assert decide_sandbox("local", "auto") == "subprocess"
    assert capsys.readouterr().err == ""  # said once


def test_a_backend_that_goes_away_mid_run_is_an_error_not_a_fallback(fresh_choice, monkeypatch):
    _available(monkeypatch, BwrapBackend, True, "/usr/bin/bwrap")
    _available(monkeypatch, DockerBackend, False, "no engine")
    assert isolation.select_backend("auto").name == "bwrap"
    _available(monkeypatch, BwrapBackend, False, "bwrap is not installed")
    with pytest.raises(BackendUnavailable, match="bwrap sandbox is unavailable"):
        isolation.select_backend("auto")


def test_a_ray_run_leaves_the_choice_to_its_nodes():
    assert decide_sandbox("ray", "auto") == "auto"


def test_the_run_records_the_backend_it_decided(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kernelwright.cli import main; sys.argv[0] = 'kernelwright'; main()",
            *("generate", "softmax", "--model", "replay:demo", "--turns", "1", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KERNELWRIGHT_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode in (0, 1), proc.stderr
    config = json.loads((out / "run.json").read_text())["config"]
    attempts = [json.loads(line) for line in (out / "attempts.jsonl").read_text().splitlines()]
    assert config["sandbox"] in ("subprocess", "bwrap", "docker")
    assert {a["outcome"]["env"]["sandbox"] for a in attempts} == {config["sandbox"]}
