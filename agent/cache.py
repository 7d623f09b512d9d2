"""The on-disk response cache: a re-run with the same configuration asks the endpoint nothing
and follows the same trajectory.

A response is stored under the sha256 of the canonical JSON of the whole request (endpoint,
model, messages and every sampling parameter, n and seed included). Answers are stored,
truncated ones too (they are what the model said); errors never are.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from kernelwright.agent.models import ChatRequest, ChatResponse, ModelClient, request_key

CACHE_ENV = "KERNELWRIGHT_CACHE_DIR"


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "kernelwright" / "responses"


class ResponseCache:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> ChatResponse | None:
        path = self._path(key)
        try:
            return ChatResponse.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            # A torn write from a killed run: treat as a miss; the next answer replaces it.
            return None

    def put(self, key: str, response: ChatResponse) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(response.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)


class CachedClient:
    """Wraps a client: answers from the cache when it can, stores what the endpoint answers."""

    def __init__(self, inner: ModelClient, cache: ResponseCache):
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.base_url = inner.base_url
        self.replay = inner.replay
        self.hits = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = request_key(self.inner, request)
        start = time.monotonic()
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            return hit.model_copy(update={"cached": True, "latency_s": time.monotonic() - start})
        response = await self.inner.complete(request)
        self.cache.put(key, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
