"""`generate` checks everything it can before the first model call: a problem whose inputs or
reference cannot run costs no request and leaves no run directory behind."""

from __future__ import annotations

import pytest
import typer
from fake_openai import FakeOpenAI, good
from typer.testing import CliRunner

from kernelwright.agent.commands import generate

HEAD = """import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        {forward}


def get_inputs():
    {inputs}


def get_init_inputs():
    return []
"""

BROKEN = {
    "get_inputs": (
        HEAD.format(forward="return x * 2", inputs="raise ValueError('no data')"),
        "get_inputs() raised ValueError: no data",
    ),
    "reference": (
        HEAD.format(forward="return x @ x", inputs="return [torch.randn(3, 4)]"),
        "RuntimeError",
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_problem_that_cannot_run_costs_no_model_call(broken, tmp_path, monkeypatch):
    source, said = BROKEN[broken]
    problem = tmp_path / "broken.py"
    problem.write_text(source)
    monkeypatch.setenv("TEST_KEY", "sk-test")
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(generate)
    with FakeOpenAI() as server:
        server.push(good("class ModelNew: pass"))
        args = [str(problem), "--model", "fake-model", "--base-url", server.base_url]
        args += ["--api-key-env", "TEST_KEY", "--workers", "1", "--out", str(out)]
        # The preflight, not the sandbox, is tested: the plain one starts fastest (a Docker
        # worker takes several times longer to start).
        args += ["--sandbox", "subprocess"]
        result = CliRunner().invoke(app, args)
        assert server.chat_requests() == []
    assert result.exit_code == 2, result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and said in error[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
