"""``kernelwright eval`` with scripted models and a fake sandbox; the command line; resume."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kernelwright.agent.errors import MissingKeyError, ReplayError
from kernelwright.agent.models import ChatRequest, ChatResponse, Choice
from kernelwright.agent.run import GenerateConfig
from kernelwright.evals.commands import eval_command, report_command
from kernelwright.evals.report import MetricsFile
from kernelwright.evals.runner import EvalConfig, EvalError, run_eval
from kernelwright.evals.suite import resolve_suite
from kernelwright.outcome import Outcome, Status, Timing
from kernelwright.runlog import RunDir
from kernelwright.sandbox.executor import EvalRequest

PROBLEM = """\
import torch
import torch.nn as nn

N = 256


class Model(nn.Module):
    def forward(self, x):
        return torch.{op}(x)


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
"""


def answer(verdict: str, speedup: float | None = None) -> str:
    """A model answer whose code tells FakeExecutor its verdict."""
    return (
        "Here is the kernel.\n```python\n"
        f"# verdict: {json.dumps({'status': verdict, 'speedup': speedup})}\n"
        "import torch\n\n\nclass ModelNew(torch.nn.Module):\n    pass\n```\n"
    )


class ScriptedClient:
    """Answers from a list, in order; counts the calls."""

    base_url = None

    def __init__(self, name: str, answers: list[str], replay: bool = False):
        self.name = name
        self.replay = replay
        self.answers = list(answers)
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        await asyncio.sleep(0.01)
        if not self.answers:
            raise ReplayError("script exhausted")
        content = self.answers.pop(0)
        return ChatResponse(
            choices=[Choice(content=content, finish_reason="stop")] * request.n,
            prompt_tokens=1000,
            completion_tokens=200,
            cost_usd=0.002,
            latency_s=0.5,
        )

    def answered(self, request: ChatRequest) -> None:
        # A resumed attempt took the next answer of the script, as a transcript's would be.
        if self.answers:
            self.answers.pop(0)

    async def aclose(self) -> None:
        return None


class FakeExecutor:
    """Reads the verdict from the candidate's first line; tracks evaluations in flight."""

    def __init__(self, delay_s: float = 0.05):
        self.delay_s = delay_s
        self.requests: list[EvalRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def evaluate(self, request: EvalRequest) -> Outcome:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        verdict = json.loads(request.code.splitlines()[0].removeprefix("# verdict: "))
        s = verdict["speedup"]
        timing = (
            None
            if s is None
            else Timing(
                candidate_ms=1 / s,
                eager_ms=1.0,
                compiled_ms=0.5,
                speedup_eager=s,
                speedup_compiled=s / 2,
            )
        )
        return Outcome(status=Status(verdict["status"]), message="fake", timing=timing)

    async def close(self) -> None:
        return None


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A KernelBench-shaped folder of three problems."""
    level1 = tmp_path / "KernelBench" / "level1"
    level1.mkdir(parents=True)
    for i, op in enumerate(["relu", "tanh", "sigmoid"], start=1):
        (level1 / f"{i}_{op}.py").write_text(PROBLEM.format(op=op))
    return level1


SCRIPT = {
    # problem name -> the answers of its trajectory, turn by turn
    "1_relu": [answer("compile_error"), answer("correct", 2.0)],
    "2_tanh": [answer("correct", 0.8), answer("correct", 1.5)],
    "3_sigmoid": [answer("incorrect"), answer("incorrect")],
}


def config(spec: str, **agent) -> EvalConfig:
    # No caches: every verdict here must come from the test's own executor.
    settings = {"model": "scripted-model", "turns": 2, "shape": "small", "cache": False, **agent}
    return EvalConfig(suite=spec, agent=GenerateConfig(problem=spec, **settings))


def scripted(script: dict[str, list[str]], clients: dict[str, ScriptedClient]):
    def client_for(cfg: GenerateConfig, problem) -> ScriptedClient:
        c = ScriptedClient(cfg.model, script[problem.name])
        clients[problem.name] = c
        return c

    return client_for


def test_eval_runs_a_kernelbench_folder(kb, tmp_path):
    clients: dict[str, ScriptedClient] = {}
    ex = FakeExecutor()
    out = tmp_path / "run"
    result = run_eval(
        config(str(kb)),
        resolve_suite(str(kb)),
        out,
        argv=["kw"],
        executor=ex,
        client_for=scripted(SCRIPT, clients),
    )
    info = RunDir(out).read_info()
    assert info.kind == "eval" and info.finished_at is not None
    assert info.config["suite"] == str(kb) and info.config["model"] == "scripted-model"
    assert [p.name for p in info.problems] == ["1_relu", "2_tanh", "3_sigmoid"]
    assert all(p.level == 1 for p in info.problems)  # from the KernelBench folder name
    attempts = RunDir(out).attempts()
    assert len(attempts) == 6 and {a.run_id for a in attempts} == {info.run_id}
    assert all(a.problem.level == 1 for a in attempts)
    # Problems ran side by side.
    assert ex.max_in_flight > 1
    assert {r.shape for r in ex.requests} == {"small"}
    # The report files are there, and say what happened.
    for name in ("metrics.json", "report.md", "report.html", "summary.json"):
        assert (out / name).exists(), name
    m = MetricsFile.model_validate_json((out / "metrics.json").read_text()).runs[0]
    assert m == result.metrics
    assert m.overall.problems == 3 and m.overall.compile_rate == pytest.approx(5 / 6)
    assert m.overall.correct_rate == pytest.approx(2 / 3)
    assert m.overall.fast_p["eager"]["1"] == pytest.approx(2 / 3)
    assert m.overall.fast_p["compiled"]["1"] == pytest.approx(0.0)  # 2.0 / 2 is not > 1
    assert [t.correct_rate for t in m.by_turn] == pytest.approx([1 / 3, 2 / 3])
    assert set(m.by_level) == {"level1"}
    summary = json.loads((out / "summary.json").read_text())["problems"]
    assert [s["correct"] for s in summary] == [True, True, False]
    assert result.errors == []


def test_resume_does_not_redo_finished_work(kb, tmp_path):
    out = tmp_path / "run"
    cfg = config(str(kb))
    suite = resolve_suite(str(kb))

    class LosesItsKey(ScriptedClient):
        async def complete(self, request: ChatRequest) -> ChatResponse:
            await asyncio.sleep(0.6)
            raise MissingKeyError("OPENAI_API_KEY is not set")

    def first_try(c, problem):
        cls = LosesItsKey if problem.name == "3_sigmoid" else ScriptedClient
        return cls(c.model, SCRIPT[problem.name])

    # One problem's endpoint fails for good after the others have written attempts: the eval
    # stops at once with those attempts on disk.
    with pytest.raises(MissingKeyError):
        run_eval(cfg, suite, out, argv=["kw"], executor=FakeExecutor(0.2), client_for=first_try)
    before = RunDir(out).attempts()
    assert 0 < len(before) < 6 and RunDir(out).read_info().finished_at is None
    clients: dict[str, ScriptedClient] = {}
    ex = FakeExecutor()
    result = run_eval(
        cfg, suite, out, resume=True, argv=["kw"], executor=ex, client_for=scripted(SCRIPT, clients)
    )
    after = RunDir(out).attempts()
    assert len(after) == 6 and after[: len(before)] == before
    # What was on disk was served back: the model was asked only for the rest.
    assert sum(c.calls for c in clients.values()) == 6 - len(before)
    assert len(ex.requests) == 6 - len(before)
    assert result.metrics.complete
    # A finished run resumed again asks nothing.
    clients.clear()
    run_eval(
        cfg,
        suite,
        out,
        resume=True,
        argv=["kw"],
        executor=FakeExecutor(),
        client_for=scripted(SCRIPT, clients),
    )
    assert sum(c.calls for c in clients.values()) == 0
    assert len(RunDir(out).attempts()) == 6


def test_resume_refuses_other_settings(kb, tmp_path):
    out = tmp_path / "run"
    suite = resolve_suite(str(kb))
    run_eval(
        config(str(kb)),
        suite,
        out,
        argv=[],
        executor=FakeExecutor(0),
        client_for=scripted(SCRIPT, {}),
    )
    with pytest.raises(EvalError, match="other settings \\(model\\)"):
        run_eval(
            config(str(kb), model="other"),
            suite,
            out,
            resume=True,
            argv=[],
            executor=FakeExecutor(0),
            client_for=scripted(SCRIPT, {}),
        )
    with pytest.raises(EvalError, match="already holds a run"):
        run_eval(
            config(str(kb)),
            suite,
            out,
            argv=[],
            executor=FakeExecutor(0),
            client_for=scripted(SCRIPT, {}),
        )
    with pytest.raises(EvalError, match="nothing to resume"):
        run_eval(
            config(str(kb)),
            suite,
            tmp_path / "none",
            resume=True,
            argv=[],
            executor=FakeExecutor(0),
            client_for=scripted(SCRIPT, {}),
        )


def test_a_problem_that_cannot_run_does_not_stop_the_others(kb, tmp_path):
    def client_for(c, problem):
        if problem.name == "2_tanh":
            raise ReplayError("no demo transcript for problem '2_tanh'")
        return ScriptedClient(c.model, SCRIPT[problem.name])

    out = tmp_path / "run"
    result = run_eval(
        config(str(kb)),
        resolve_suite(str(kb)),
        out,
        argv=[],
        executor=FakeExecutor(0),
        client_for=client_for,
    )
    assert result.errors == ["level1/2_tanh: no demo transcript for problem '2_tanh'"]
    assert not result.metrics.complete
    assert result.metrics.missing_problems == ["level1/2_tanh"]
    assert result.metrics.overall.problems == 2


def test_best_of_k_samples_give_pass_at_k(kb, tmp_path):
    script = {name: [answer("correct", 1.2), answer("incorrect")] * 2 for name in SCRIPT}
    result = run_eval(
        config(str(kb), samples=2, turns=1, strategy="best-of-k"),
        resolve_suite(str(kb)),
        tmp_path / "run",
        argv=[],
        executor=FakeExecutor(0),
        client_for=scripted(script, {}),
    )
    o = result.metrics.overall
    assert o.samples == 6 and result.metrics.k_values == [1, 2]
    assert o.pass_at_k["1"] == pytest.approx(0.5) and o.pass_at_k["2"] == pytest.approx(1.0)


# --- the command line -----------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("report")(report_command)
    return app


def test_report_command(kb, tmp_path):
    out = tmp_path / "run"
    run_eval(
        config(str(kb)),
        resolve_suite(str(kb)),
        out,
        argv=[],
        executor=FakeExecutor(0),
        client_for=scripted(SCRIPT, {}),
    )
    (out / "report.html").unlink()
    r = CliRunner().invoke(cli(), ["report", str(out), "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rep" / "report.html").exists() and not (out / "report.html").exists()
    assert "correct 66.7% (pass@1)" in r.output
    r = CliRunner().invoke(cli(), ["report", str(tmp_path / "nothing")])
    assert r.exit_code == 2 and "not a run directory" in r.output
    assert "Traceback" not in r.output


def test_eval_command_usage_errors(kb, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli(), ["eval", str(kb), "--model", "m"])
    assert r.exit_code == 2 and "--out DIR is required" in r.output
    r = runner.invoke(cli(), ["eval", "tag:no-such-tag", "--model", "m", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "no bundled problem has tag" in r.output
    r = runner.invoke(cli(), ["eval", str(kb), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--model is required" in r.output
    r = runner.invoke(
        cli(),
        [
            "eval",
            str(kb),
            "--model",
            "m",
            "--samples",
            "3",
            "--strategy",
            "refine",
            "--out",
            str(tmp_path / "y"),
        ],
    )
    assert r.exit_code == 2 and "best-of-k" in r.output
    r = runner.invoke(cli(), ["eval", str(kb), "--rescore", str(tmp_path), "--out", "z"])
    assert r.exit_code == 2 and "takes no SUITE" in r.output
    r = runner.invoke(
        cli(), ["eval", "--rescore", str(tmp_path), "--out", str(tmp_path / "z"), "--model", "m"]
    )
    assert r.exit_code == 2 and "do not apply: --model" in r.output
    assert "Traceback" not in r.output


def test_summary_gives_every_problem_a_stop_reason(kb, tmp_path):
    def client_for(c, problem):
        if problem.name == "2_tanh":
            raise ReplayError("no demo transcript for problem '2_tanh'")
        return ScriptedClient(c.model, SCRIPT[problem.name])

    out = tmp_path / "run"
    run_eval(
        config(str(kb)),
        resolve_suite(str(kb)),
        out,
        argv=[],
        executor=FakeExecutor(0),
        client_for=client_for,
    )
    summary = json.loads((out / "summary.json").read_text())["problems"]
    assert {s["problem"]: s["stop_reason"] for s in summary} == {
        "level1/1_relu": "turns",  # correct and timed: it could still get faster
        "level1/2_tanh": "error",
        "level1/3_sigmoid": "turns",
    }
