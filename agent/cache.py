"""The on-disk cache that makes a re-run with the same configuration cost nothing and follow the
same trajectory.

Model answers are stored under the sha256 of the canonical JSON of the whole request
(endpoint, model, messages and every sampling parameter, n and seed included); truncated
answers too (they are what the model said), errors never. Verdicts are stored too, under the
candidate, the problem, the shape, the trial seeds, the device and the library versions:
a GPU's timings vary from run to run, and the next request carries them in its feedback, so
without the verdict the re-run's requests would differ and miss.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from kernelwright.agent.loop import Evaluator
from kernelwright.agent.models import (
    ChatRequest,
    ChatResponse,
    ModelClient,
    request_key,
    sha256_json,
)
from kernelwright.outcome import Outcome, Status

CACHE_ENV = "KERNELWRIGHT_CACHE_DIR"

Doc = TypeVar("Doc", bound=BaseModel)


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "kernelwright" / "responses"


class DiskCache:
    """Pydantic documents stored as JSON under ``root/<key[:2]>/<key>.json``."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str, kind: type[Doc]) -> Doc | None:
        try:
            return kind.model_validate_json(self._path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            # A torn write from a killed run: treat as a miss; the next answer replaces it.
            return None

    def put(self, key: str, doc: BaseModel) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(doc.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)


class CachedClient:
    """Wraps a client: answers from the cache when it can, stores what the endpoint answers."""

    def __init__(self, inner: ModelClient, cache: DiskCache):
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.base_url = inner.base_url
        self.replay = inner.replay

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = request_key(self.inner, request)
        start = time.monotonic()
        hit = self.cache.get(key, ChatResponse)
        if hit is not None:
            return hit.model_copy(update={"cached": True, "latency_s": time.monotonic() - start})
        response = await self.inner.complete(request)
        self.cache.put(key, response)
        return response

    def answered(self, request: ChatRequest) -> None:
        self.inner.answered(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class CachedEvaluator:
    """Wraps an evaluator: the verdict of a candidate already judged under the same conditions
    (``context``: shape, seeds, device, versions) comes from the cache. A crash is never
    stored: it may be the machine's fault rather than the candidate's."""

    def __init__(self, inner: Evaluator, cache: DiskCache, context: dict[str, Any]):
        self.inner = inner
        self.cache = cache
        self.context = context

    async def evaluate(self, problem: Path, code: str) -> Outcome:
        key = sha256_json({"problem": problem.read_text(), "code": code, **self.context})
        hit = self.cache.get(key, Outcome)
        if hit is not None:
            return hit.model_copy(update={"env": {**hit.env, "from_cache": True}})
        outcome = await self.inner.evaluate(problem, code)
        if outcome.status is not Status.crashed:
            self.cache.put(key, outcome)
        return outcome
