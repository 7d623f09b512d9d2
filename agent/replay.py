"""Transcripts: ``--record FILE`` writes every exchange of a run; ``--model replay:FILE`` serves
them back, so a run can be repeated with no endpoint at all. ``replay:demo`` is the bundled
transcript of the problem at hand (``agent/demo/<problem>.jsonl``).

A transcript is JSON lines: a header, then one exchange per model call::

    {"kernelwright_transcript": 1, "model": ..., "base_url": ..., "created_at": ..., "note": ...}
    {"request": {...}, "messages_sha256": ..., "response": {...}, "note": ...}

A request is matched to an unused exchange by its whole request, else by its messages (the
sampling differs), else it takes the next unused exchange in order: prompts change between
versions, and a replay should still walk the recorded trajectory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

from kernelwright.agent.errors import ReplayError, ReplayExhausted
from kernelwright.agent.models import ChatRequest, ChatResponse, ModelClient

TRANSCRIPT_VERSION = 1
REPLAY_PREFIX = "replay:"
DEMO_DIR = Path(__file__).parent / "demo"


def is_replay(model: str) -> bool:
    return model.startswith(REPLAY_PREFIX)


def demo_problems() -> list[str]:
    return sorted(p.stem for p in DEMO_DIR.glob("*.jsonl"))


def transcript_path(model: str, problem_name: str) -> Path:
    """The file behind a ``replay:`` model name."""
    spec = model.removeprefix(REPLAY_PREFIX)
    if spec == "demo":
        path = DEMO_DIR / f"{problem_name}.jsonl"
        if not path.exists():
            raise ReplayError(
                f"no demo transcript for problem {problem_name!r}; demos exist for: "
                f"{', '.join(demo_problems())}"
            )
        return path
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ReplayError(f"{spec}: no such transcript file")
    return path


def read_transcript(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the exchanges of a transcript file."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    try:
        rows = [json.loads(ln) for ln in lines]
    except json.JSONDecodeError as e:
        raise ReplayError(f"{path}: not a transcript (line {e.lineno}: {e.msg})") from None
    if not rows or rows[0].get("kernelwright_transcript") != TRANSCRIPT_VERSION:
        raise ReplayError(f"{path}: not a kernelwright transcript (no header line)")
    return rows[0], rows[1:]


class ReplayClient:
    """Serves the answers of a transcript; asks no endpoint."""

    replay = True
    base_url = None

    def __init__(self, model: str, path: Path):
        self.name = model
        self.path = path
        self.header, exchanges = read_transcript(path)
        try:
            self._exchanges = [
                (
                    ChatRequest.model_validate(x["request"]),
                    ChatResponse.model_validate(x["response"]),
                )
                for x in exchanges
            ]
        except (KeyError, ValueError) as e:
            raise ReplayError(f"{path}: malformed exchange ({type(e).__name__}: {e})") from None
        self._unused = list(range(len(self._exchanges)))

    @property
    def note(self) -> str:
        return str(self.header.get("note", ""))

    def _match(self, request: ChatRequest) -> int:
        for same in (
            lambda r: r == request,
            lambda r: r.messages_key() == request.messages_key(),
            lambda r: True,
        ):
            for i in self._unused:
                if same(self._exchanges[i][0]):
                    return i
        raise ReplayExhausted(
            f"{self.path} has no answer left ({len(self._exchanges)} recorded, all used)"
        )

    async def complete(self, request: ChatRequest) -> ChatResponse:
        i = self._match(request)
        self._unused.remove(i)
        response = self._exchanges[i][1]
        if len(response.choices) < request.n:
            raise ReplayError(
                f"{self.path}: exchange {i + 1} has {len(response.choices)} answers, "
                f"the run asks for {request.n}"
            )
        return response.model_copy(update={"choices": response.choices[: request.n]})

    def answered(self, request: ChatRequest) -> None:
        # Matched as complete() would match it, so a resumed replay walks the same exchanges.
        with contextlib.suppress(ReplayExhausted):
            self._unused.remove(self._match(request))

    async def aclose(self) -> None:
        return None


class RecordingClient:
    """Wraps a client and appends every exchange to a transcript file."""

    def __init__(self, inner: ModelClient, path: str | Path, note: str = ""):
        self.inner = inner
        self.path = Path(path)
        self.name = inner.name
        self.base_url = inner.base_url
        self.replay = inner.replay
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            header = {
                "kernelwright_transcript": TRANSCRIPT_VERSION,
                "model": inner.name,
                "base_url": inner.base_url,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "note": note,
            }
            self._write(header)

    def _write(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    async def complete(self, request: ChatRequest) -> ChatResponse:
        response = await self.inner.complete(request)
        self._write(
            {
                "request": request.model_dump(),
                "messages_sha256": request.messages_key(),
                "response": response.model_dump(),
            }
        )
        return response

    def answered(self, request: ChatRequest) -> None:
        # Its exchange is in the transcript already, written when it was first asked.
        self.inner.answered(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
