"""A run interrupted and resumed walks exactly the trajectory an uninterrupted run walks: for a
replayed transcript (generate and eval, through the command line, interrupted at the step
boundary after the first attempt), for answers from the response cache, and for a live
endpoint (a subprocess stopped by SIGINT while turn 1 is asked), attempt by attempt, through
the real sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from agent_fakes import GOOD_KERNEL, WRONG_KERNEL, write_problem
from fake_openai import FakeOpenAI, good, stalled
from typer.testing import CliRunner

from kernelwright.agent.commands import generate
from kernelwright.agent.replay import read_transcript
from kernelwright.evals.commands import eval_command
from kernelwright.runlog import RunDir

GENERATE = "import typer; from kernelwright.agent.commands import generate; typer.run(generate)"


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    values = {"TEST_KEY": "sk-test", "KERNELWRIGHT_CACHE_DIR": str(tmp_path / "cache")}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return {**os.environ, **values}


def invoke(command, *args: str):
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(command)
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def trajectory(out: Path) -> list[tuple]:
    """What makes two runs the same walk: each attempt's place, question (the feedback it
    answers included), answer and verdict."""
    return [
        (
            a.problem.name,
            a.turn,
            a.sample,
            a.messages,
            a.code,
            a.outcome.status.value,
        )
        for a in sorted(RunDir(out).attempts(), key=lambda a: (a.problem.name, a.turn, a.sample))
    ]


def interrupt_after(monkeypatch, attempts: int) -> None:
    """Ctrl-C at a step boundary: right after the given number of attempts are on disk."""
    append = RunDir.append
    written = []

    def append_then_interrupt(self, record):
        append(self, record)
        written.append(record)
        if len(written) == attempts:
            raise KeyboardInterrupt

    monkeypatch.setattr(RunDir, "append", append_then_interrupt)


def test_generate_replay_resumed_walks_the_uninterrupted_trajectory(tmp_path, monkeypatch):
    # Resuming is tested, not the sandbox: the plain one starts fastest (Docker, auto's choice
    # in CI, takes several times longer), and a resumed run keeps it.
    args = ["rms_norm", "--model", "replay:demo", "--workers", "1", "--sandbox", "subprocess"]
    code, stderr = invoke(generate, *args, "--out", str(tmp_path / "whole"))
    assert code == 0, stderr
    whole = trajectory(tmp_path / "whole")
    assert len(whole) >= 2

    part = tmp_path / "part"
    with monkeypatch.context() as m:
        interrupt_after(m, 1)
        code, stderr = invoke(generate, *args, "--out", str(part))
    assert code == 130, stderr
    assert len(RunDir(part).attempts()) == 1
    code, stderr = invoke(generate, "rms_norm", "--out", str(part), "--resume")
    assert code == 0, stderr
    assert trajectory(part) == whole
    summary = json.loads((part / "summary.json").read_text())
    assert summary["attempts"] == len(whole) and summary["stop_reason"] == "solved"


def test_eval_replay_resumed_walks_the_uninterrupted_trajectory(tmp_path, monkeypatch):
    # Resuming is tested, not the sandbox: the plain one starts fastest (Docker, auto's choice
    # in CI, takes several times longer), and a resumed run keeps it.
    args = [
        "rms_norm",
        "--model",
        "replay:demo",
        "--turns",
        "3",
        "--workers",
        "1",
        "--sandbox",
        "subprocess",
    ]
    code, stderr = invoke(eval_command, *args, "--out", str(tmp_path / "whole"))
    assert code == 0, stderr
    whole = trajectory(tmp_path / "whole")
    assert len(whole) == 3

    part = tmp_path / "part"
    with monkeypatch.context() as m:
        interrupt_after(m, 1)
        code, stderr = invoke(eval_command, *args, "--out", str(part))
    assert code == 130, stderr
    assert len(RunDir(part).attempts()) == 1
    code, stderr = invoke(eval_command, "--out", str(part), "--resume")
    assert code == 0, stderr
    assert trajectory(part) == whole


def wait_for_requests(server: FakeOpenAI, proc: subprocess.Popen, n: int) -> None:
    deadline = time.monotonic() + 180
    while len(server.chat_requests()) < n:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"the run did not make request {n}"
        time.sleep(0.2)


def test_generate_live_model_resumed_after_sigint_asks_what_the_uninterrupted_run_asked(
    env, tmp_path
):
    problem = write_problem(tmp_path)
    endpoint = ["--model", "fake-model", "--api-key-env", "TEST_KEY", "--workers", "1"]
    endpoint += ["--no-cache", "--turns", "3", "--sandbox", "subprocess"]  # as above

    with FakeOpenAI() as server:
        server.push(good(WRONG_KERNEL), good(GOOD_KERNEL))
        whole = tmp_path / "whole"
        code, stderr = invoke(
            generate,
            str(problem),
            *endpoint,
            "--base-url",
            server.base_url,
            "--out",
            str(whole),
            "--record",
            str(tmp_path / "whole.jsonl"),
        )
        assert code == 0, stderr
        asked_whole = [r["messages"] for r in server.chat_requests()]

    with FakeOpenAI() as server:
        # Turn 1's answer never comes: the run is stopped by SIGINT while it waits.
        server.push(good(WRONG_KERNEL), stalled(600, good(GOOD_KERNEL)))
        part = tmp_path / "part"
        proc = subprocess.Popen(
            [sys.executable, "-c", GENERATE, str(problem), *endpoint, "--base-url"]
            + [server.base_url, "--out", str(part), "--record", str(tmp_path / "part.jsonl")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_requests(server, proc, 2)
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 130, stderr
        assert [a.turn for a in RunDir(part).attempts()] == [0]
        server.push(good(GOOD_KERNEL))
        code, stderr = invoke(generate, str(problem), "--out", str(part), "--resume")
        assert code == 0, stderr
        asked = [r["messages"] for r in server.chat_requests()]

    assert trajectory(part) == trajectory(whole)
    # The interrupted turn is asked again, as the uninterrupted run asked it.
    assert asked == [asked_whole[0], asked_whole[1], asked_whole[1]]
    # The transcript goes on where it stopped: it holds the uninterrupted run's exchanges.
    recorded = [x["request"] for x in read_transcript(tmp_path / "part.jsonl")[1]]
    assert recorded == [x["request"] for x in read_transcript(tmp_path / "whole.jsonl")[1]]


def test_generate_from_cached_answers_resumed_walks_the_uninterrupted_trajectory(
    tmp_path, monkeypatch
):
    problem = write_problem(tmp_path)
    with FakeOpenAI() as server:
        server.push(good(WRONG_KERNEL), good(GOOD_KERNEL))
        args = [str(problem), "--model", "fake-model", "--base-url", server.base_url]
        args += ["--api-key-env", "TEST_KEY", "--workers", "1", "--turns", "3"]
        args += ["--sandbox", "subprocess"]  # as above
        code, stderr = invoke(generate, *args, "--out", str(tmp_path / "whole"))
        assert code == 0, stderr
        # The same run again, from the cache, interrupted after its first attempt and resumed.
        part = tmp_path / "part"
        with monkeypatch.context() as m:
            interrupt_after(m, 1)
            code, stderr = invoke(generate, *args, "--out", str(part))
        assert code == 130, stderr
        code, stderr = invoke(generate, str(problem), "--out", str(part), "--resume")
        assert code == 0, stderr
        assert len(server.chat_requests()) == 2  # every answer of the second run was cached
    assert trajectory(part) == trajectory(tmp_path / "whole")
    assert all(a.usage.cached for a in RunDir(part).attempts())
