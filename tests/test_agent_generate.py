"""`generate` end to end, as a user runs it: the command in a subprocess, the real sandbox on the
CPU interpreter, the real openai SDK against the local fake server, and the bundled demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agent_fakes import GOOD_KERNEL, WRONG_KERNEL, write_problem
from fake_openai import FakeOpenAI, good, stalled

from kernelwright.agent.replay import DEMO_DIR, demo_problems, read_transcript
from kernelwright.runlog import RunDir

GENERATE = "import typer; from kernelwright.agent.commands import generate; typer.run(generate)"


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def env(tmp_path):
    return {
        **os.environ,
        "TEST_KEY": "sk-test",
        "KERNELWRIGHT_CACHE_DIR": str(tmp_path / "cache"),
        "COLUMNS": "200",
    }


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", GENERATE, *args]


def cli(env, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), env=env, capture_output=True, text=True, timeout=timeout)


def endpoint(server) -> list[str]:
    # The problems here live in tmp_path, out of the bwrap sandbox's view; the demo test below
    # runs the default sandbox on bundled problems.
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


def test_first_attempt_fails_the_real_error_reaches_the_model_then_correct(server, env, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(WRONG_KERNEL), good(GOOD_KERNEL))
    done = cli(env, str(problem), *endpoint(server), "--out", str(out))
    assert done.returncode == 0, done.stderr
    attempts = RunDir(out).attempts()
    assert [a.outcome.status.value for a in attempts] == ["incorrect", "correct"]
    error = attempts[0].outcome.message
    assert error and error in attempts[0].feedback
    feedback = server.chat_requests()[1]["messages"][-1]["content"]
    assert feedback == attempts[0].feedback
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "correct" and summary["replay"] is False
    assert "correct" in done.stderr and "best kernel" in done.stderr

    # The same run again: every answer comes from the cache, no request is made.
    again = cli(env, str(problem), *endpoint(server), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    assert len(server.chat_requests()) == 2
    repeated = RunDir(tmp_path / "again").attempts()
    assert [a.response for a in repeated] == [a.response for a in attempts]
    assert all(a.usage.cached for a in repeated)


def wait_for_attempts(out: Path, n: int, proc: subprocess.Popen, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while len(RunDir(out).attempts()) < n:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "no attempt was written"
        time.sleep(0.2)


def test_killed_run_resumes_without_redoing_the_attempt(server, env, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(WRONG_KERNEL), stalled(600, good(GOOD_KERNEL)))
    args = [str(problem), *endpoint(server), "--out", str(out), "--no-cache"]
    proc = subprocess.Popen(
        command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_attempts(out, 1, proc)
        while len(server.chat_requests()) < 2:  # the second turn is asked, and stalls
            time.sleep(0.1)
        proc.kill()
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [a.turn for a in RunDir(out).attempts()] == [0]
    server.push(good(GOOD_KERNEL))
    done = cli(env, str(problem), "--out", str(out), "--resume", "--api-key-env", "TEST_KEY")
    assert done.returncode == 0, done.stderr
    assert "resuming: 1 attempt" in done.stderr
    attempts = RunDir(out).attempts()
    assert [(a.turn, a.outcome.status.value) for a in attempts] == [
        (0, "incorrect"),
        (1, "correct"),
    ]
    assert len(server.chat_requests()) == 3  # turn 0 was not asked again
    assert json.loads((out / "run.json").read_text())["finished_at"]


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(server, env, tmp_path):
    problem = write_problem(tmp_path)
    out = tmp_path / "run"
    server.push(good(WRONG_KERNEL), stalled(600))
    args = [str(problem), *endpoint(server), "--out", str(out), "--no-cache"]
    proc = subprocess.Popen(
        command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_attempts(out, 1, proc)
        while len(server.chat_requests()) < 2:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and str(out) in stderr and "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "interrupted" and summary["attempts"] == 1


@pytest.mark.parametrize("name", ["softmax", "gelu", "rms_norm"])
def test_offline_demo_replays_and_fails_for_the_reasons_it_claims(env, tmp_path, name):
    assert name in demo_problems()
    header, exchanges = read_transcript(DEMO_DIR / f"{name}.jsonl")
    assert "not produced by a model" in header["note"]
    out = tmp_path / name
    done = cli(
        {**env, "OPENAI_API_KEY": ""},
        name,
        "--model",
        "replay:demo",
        "--out",
        str(out),
        "--workers",
        "1",
    )
    assert done.returncode == 0, done.stderr
    assert "REPLAY" in done.stderr and "replay of recorded answers" in done.stderr
    attempts = RunDir(out).attempts()
    assert [a.outcome.status.value for a in attempts] == [x["expect_status"] for x in exchanges]
    assert attempts[0].outcome.status.value != "correct" and attempts[-1].outcome.correct
    assert all(a.replay and a.model == "replay:demo" for a in attempts)
    assert attempts[0].feedback in attempts[1].messages[-1]["content"]


def test_errors_are_one_line_with_exit_status_2(server, env, tmp_path):
    problem = write_problem(tmp_path)
    cases = [
        (["--model", "fake-model", "--api-key-env", "UNSET_KEY_VAR"], "$UNSET_KEY_VAR is not set"),
        (
            ["--model", "gpt-9", "--base-url", server.base_url, "--api-key-env", "TEST_KEY"],
            "model 'gpt-9' not found",
        ),
        (["--model", "replay:demo"], "no demo transcript for problem 'scale_shift'"),
        (["--model", "m", "--samples", "2"], "--samples 2 needs --strategy"),
    ]
    for i, (args, message) in enumerate(cases):
        done = cli(env, str(problem), *args, "--out", str(tmp_path / f"r{i}"), "--workers", "1")
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
    done = cli(env, "no_such_problem", "--model", "m")
    assert done.returncode == 2 and "no bundled problem" in done.stderr
