"""`generate` end to end, as a user runs it: the typer command, the real sandbox on the CPU
interpreter, the real openai SDK against the local fake server, and the bundled demo. Killing
and interrupting a run need a process of their own; the rest runs in this one."""

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
from kernelwright.agent.replay import DEMO_DIR, demo_problems, read_transcript
from kernelwright.runlog import RunDir

GENERATE = "import typer; from kernelwright.agent.commands import generate; typer.run(generate)"


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    values = {
        "TEST_KEY": "sk-test",
        "KERNELWRIGHT_CACHE_DIR": str(tmp_path / "cache"),
        "COLUMNS": "200",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return {**os.environ, **values}


def cli(*args: str):
    """The command in this process; returns (exit code, stderr)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(generate)
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def endpoint(server) -> list[str]:
    # These runs test the agent, not the sandbox: the plain one starts in a few seconds, a
    # Docker worker takes several times longer (the demo runs below use the strongest).
    return [
        "--model",
        "fake-model",
        "--base-url",
        server.base_url,
        "--api-key-env",
        "TEST_KEY",
        "--workers",
        "1",
        "--sandbox",
        "subprocess",
    ]


def test_first_attempt_fails_the_real_error_reaches_the_model_then_correct(server, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(WRONG_KERNEL), good(GOOD_KERNEL))
    transcript = tmp_path / "transcript.jsonl"
    code, stderr = cli(
        str(problem), *endpoint(server), "--out", str(out), "--record", str(transcript)
    )
    assert code == 0, stderr
    assert len(read_transcript(transcript)[1]) == 2
    attempts = RunDir(out).attempts()
    assert [a.outcome.status.value for a in attempts] == ["incorrect", "correct"]
    error = attempts[0].outcome.message
    failed = attempts[0].outcome.failed_checks()[0]
    assert "outside atol" in error and f"{failed.name}: {failed.detail}" in attempts[0].feedback
    assert server.chat_requests()[1]["messages"][-1]["content"] == attempts[0].feedback
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "correct" and summary["replay"] is False
    assert "scale_shift: correct (turn 2, sample 1" in stderr and "best kernel" in stderr

    # The same run again: every answer comes from the cache, no request is made.
    code, stderr = cli(str(problem), *endpoint(server), "--out", str(tmp_path / "again"))
    assert code == 0, stderr
    assert len(server.chat_requests()) == 2
    repeated = RunDir(tmp_path / "again").attempts()
    assert [a.messages for a in repeated] == [a.messages for a in attempts]
    assert [a.response for a in repeated] == [a.response for a in attempts]
    assert all(a.usage.cached for a in repeated)


def spawn(env, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", GENERATE, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_turn_1_is_asked(out: Path, proc: subprocess.Popen, server: FakeOpenAI) -> None:
    deadline = time.monotonic() + 180
    while len(RunDir(out).attempts()) < 1 or len(server.chat_requests()) < 2:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the run did not get to turn 1"
        time.sleep(0.2)


def test_killed_run_resumes_without_redoing_the_attempt(server, env, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(WRONG_KERNEL), stalled(600, good(GOOD_KERNEL)))
    proc = spawn(env, str(problem), *endpoint(server), "--out", str(out), "--no-cache")
    try:
        wait_until_turn_1_is_asked(out, proc, server)  # turn 0 is on disk, turn 1 stalls
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert [a.turn for a in RunDir(out).attempts()] == [0]
    server.push(good(GOOD_KERNEL))
    code, stderr = cli(str(problem), "--out", str(out), "--resume", "--turns", "3")
    assert code == 0, stderr
    assert "resuming: 1 attempt" in stderr
    attempts = RunDir(out).attempts()
    assert [(a.turn, a.outcome.status.value) for a in attempts] == [
        (0, "incorrect"),
        (1, "correct"),
    ]
    assert len(server.chat_requests()) == 3  # turn 0 was not asked again
    info = json.loads((out / "run.json").read_text())
    assert info["finished_at"]
    # Options given again override the stored ones; the rest are the stored ones.
    assert info["config"]["turns"] == 3 and info["config"]["api_key_env"] == "TEST_KEY"
    assert info["config"]["cache"] is False


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(server, env, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(WRONG_KERNEL), stalled(600))
    proc = spawn(env, str(problem), *endpoint(server), "--out", str(out), "--no-cache")
    try:
        wait_until_turn_1_is_asked(out, proc, server)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert f"--out {out} --resume" in stderr and "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "interrupted" and summary["attempts"] == 1


@pytest.mark.parametrize("name", ["softmax", "gelu", "rms_norm"])
def test_offline_demo_replays_and_fails_for_the_reasons_it_claims(tmp_path, name):
    assert name in demo_problems()
    header, exchanges = read_transcript(DEMO_DIR / f"{name}.jsonl")
    assert "not produced by a model" in header["note"]
    out = tmp_path / name
    code, stderr = cli(name, "--model", "replay:demo", "--out", str(out), "--workers", "1")
    assert code == 0, stderr
    assert "REPLAY" in stderr and "replay of recorded answers" in stderr
    attempts = RunDir(out).attempts()
    assert [a.outcome.status.value for a in attempts] == [x["expect_status"] for x in exchanges]
    assert attempts[0].outcome.status.value != "correct" and attempts[-1].outcome.correct
    assert all(a.replay and a.model == "replay:demo" for a in attempts)
    assert attempts[0].feedback in attempts[1].messages[-1]["content"]


def test_errors_are_one_line_with_exit_status_2(server, tmp_path):
    problem = write_problem(tmp_path)
    cases = [
        (["--model", "fake-model", "--api-key-env", "UNSET_KEY_VAR"], "$UNSET_KEY_VAR is not set"),
        (endpoint(server)[2:] + ["--model", "gpt-9"], "model 'gpt-9' not found"),
        (["--model", "replay:demo"], "no demo transcript for problem 'scale_shift'"),
        (["--model", "m", "--samples", "2"], "--samples 2 needs --strategy"),
        (["--model", "m", "--prompt", "fancy"], "unknown prompt variant 'fancy'"),
        (["--model", "m", "--max-wall", "soon"], "--max-wall 'soon'"),
    ]
    for i, (args, message) in enumerate(cases):
        code, stderr = cli(str(problem), *args, "--out", str(tmp_path / f"r{i}"))
        assert code == 2, (args, stderr)
        assert message in stderr and len(stderr.strip().splitlines()) <= 2, stderr
    assert not (tmp_path / "r0").exists()  # a missing key leaves no half-made run behind
    code, stderr = cli("no_such_problem", "--model", "m")
    assert code == 2 and "no bundled problem" in stderr
