"""A hung or failing endpoint fails in bounded time, through the real options of `generate`,
against the local fake server: a silent server is tried twice, every call has a deadline, and
the one-line message says what each try met."""

from __future__ import annotations

import pytest
import typer
from agent_fakes import write_problem
from fake_openai import FakeOpenAI, server_error, stalled
from typer.testing import CliRunner

from kernelwright.agent.commands import generate


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-test")
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "400")


def run(server: FakeOpenAI, problem, *options: str):
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(generate)
    args = [str(problem), "--model", "fake-model", "--base-url", server.base_url]
    args += ["--api-key-env", "TEST_KEY", "--workers", "1", "--out", str(problem.parent / "run")]
    result = CliRunner().invoke(app, [*args, *options])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return result.exit_code, errors, result.stderr


def test_a_hung_endpoint_is_tried_twice_and_the_message_says_so(tmp_path):
    problem = write_problem(tmp_path)
    with FakeOpenAI() as server:
        server.push(*[stalled(600)] * 5)
        code, errors, stderr = run(server, problem, "--request-timeout", "1")
        asked = [r["_time"] for r in server.chat_requests()]
    assert code == 2, stderr
    assert len(asked) == 2  # not 7: a server silent for a whole timeout, twice, is hung
    assert asked[1] - asked[0] < 5
    assert len(errors) == 1, stderr
    assert "gave up after 2 tries" in errors[0] and "no answer within 1 s x2" in errors[0]
    assert "--request-timeout" in errors[0] and "Traceback" not in stderr


def test_every_retry_and_wait_of_a_call_fits_its_deadline(tmp_path):
    problem = write_problem(tmp_path)
    with FakeOpenAI() as server:
        server.push(*[server_error(503)] * 50)
        code, errors, stderr = run(server, problem, "--call-deadline", "3")
        asked = [r["_time"] for r in server.chat_requests()]
    assert code == 2, stderr
    assert asked[-1] - asked[0] < 3
    assert len(errors) == 1 and "deadline is 3 s" in errors[0], stderr
    assert "server error (503)" in errors[0]


@pytest.mark.parametrize("option", ["--request-timeout", "--call-deadline"])
def test_a_timeout_of_zero_is_a_usage_error(tmp_path, option):
    problem = write_problem(tmp_path)
    with FakeOpenAI() as server:
        code, errors, stderr = run(server, problem, option, "0")
        assert server.chat_requests() == []
    assert code == 2 and option in stderr and "Traceback" not in stderr, stderr
