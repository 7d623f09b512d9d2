"""The run directory a generate run writes, resuming it, and best_kernel.py: in-process, with
the fake server and the fake evaluator."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from agent_fakes import (
    KWLIB_KERNEL,
    WRONG_KERNEL,
    FakeEvaluator,
    kernel,
    write_problem,
)
from fake_openai import FakeOpenAI, good

from kernelwright.agent.best_kernel import render_best_kernel
from kernelwright.agent.errors import AgentError
from kernelwright.agent.run import GenerateConfig, execute, open_client, prepare
from kernelwright.outcome import Outcome, Status
from kernelwright.problem import read_problem
from kernelwright.runlog import AttemptRecord, ProblemRef, RunDir


@pytest.fixture(autouse=True)
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("TEST_KEY", "sk-test")
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def config(server, problem, **kw) -> GenerateConfig:
    return GenerateConfig(
        problem=str(problem),
        model="fake-model",
        base_url=server.base_url,
        api_key_env="TEST_KEY",
        cache=False,
        **kw,
    )


def generate(cfg, out, resume=False):
    problem = read_problem(cfg.problem)
    client = open_client(cfg, problem)
    return asyncio.run(execute(cfg, out, resume, client=client, evaluator=FakeEvaluator()))


def test_run_directory(server, tmp_path):
    problem = write_problem(tmp_path)
    server.push(good(kernel("incorrect", message="mismatch")), good(kernel()))
    out = tmp_path / "run"
    summary = generate(config(server, problem), out)
    info = json.loads((out / "run.json").read_text())
    assert info["kind"] == "generate" and info["finished_at"]
    assert info["config"]["model"] == "fake-model" and info["config"]["turns"] == 5
    assert info["prompt_version"]
    assert {"kernelwright", "torch", "triton", "git_revision", "device"} <= set(info["versions"])
    assert info["problems"][0]["name"] == "scale_shift"
    attempts = RunDir(out).attempts()
    assert [a.outcome.status for a in attempts] == [Status.incorrect, Status.correct]
    assert all(a.run_id == info["run_id"] for a in attempts)
    assert json.loads((out / "summary.json").read_text()) == summary
    assert summary["status"] == "correct" and summary["stop_reason"] == "solved"
    assert summary["attempts"] == 2 and summary["by_status"] == {"incorrect": 1, "correct": 1}
    assert summary["prompt_tokens"] == sum(a.usage.prompt_tokens for a in attempts)
    assert (out / "best_kernel.py").read_text().count("class ModelNew") == 1


def test_resume_continues_without_redoing_attempts(server, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(kernel("incorrect", message="mismatch")))
    first = generate(config(server, problem, turns=1), out)
    assert first["stop_reason"] == "turns" and first["best_kernel"] is None
    server.push(good(kernel()))
    summary = generate(config(server, problem, turns=3), out, resume=True)
    assert len(server.chat_requests()) == 2  # only the new turn was asked
    attempts = RunDir(out).attempts()
    assert [a.turn for a in attempts] == [0, 1] and summary["correct"]
    assert attempts[1].parent_id == attempts[0].attempt_id


def test_resume_refuses_other_settings_and_new_runs_refuse_old_dirs(server, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(kernel()))
    generate(config(server, problem), out)
    with pytest.raises(AgentError, match="already holds a run"):
        prepare(config(server, problem), out, resume=False)
    with pytest.raises(AgentError, match=r"other settings \(seed\)"):
        prepare(config(server, problem, seed=3), out, resume=True)
    with pytest.raises(AgentError, match="nothing to resume"):
        prepare(config(server, problem), tmp_path / "empty", resume=True)


def test_config_checks():
    with pytest.raises(AgentError, match="--samples 3 needs --strategy best-of-k or beam"):
        GenerateConfig(problem="p", model="m", samples=3).check()
    with pytest.raises(AgentError, match="--max-cost needs the price of 'my-model'"):
        GenerateConfig(problem="p", model="my-model", max_cost=1.0).check()
    GenerateConfig(problem="p", model="replay:demo", max_cost=1.0).check()


@pytest.mark.parametrize(("code", "rc"), [(KWLIB_KERNEL, 0), (WRONG_KERNEL, 1)])
def test_best_kernel_is_standalone_and_checks_itself(tmp_path, code, rc):
    problem = read_problem(write_problem(tmp_path))
    record = AttemptRecord(
        run_id="r",
        trajectory_id="t",
        problem=ProblemRef(name="scale_shift", path="p", sha256="s"),
        turn=0,
        model="fake-model",
        prompt_version="v",
        messages=[],
        response="",
        code=code,
        outcome=Outcome(status=Status.correct),
    )
    path = tmp_path / "elsewhere" / "best_kernel.py"
    path.parent.mkdir()
    path.write_text(render_best_kernel(record, problem, "small"))
    imports = {
        line.split()[1]
        for line in path.read_text().splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= {"torch", "torch.nn", "triton", "triton.language"}
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run(
        [sys.executable, str(path)],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == rc, done.stderr
    assert ("ok" if rc == 0 else "MISMATCH") in done.stdout
