"""What a call costs: US dollars per million prompt and completion tokens, per model.

The built-in table covers a few hosted models (list prices, checked 2025); prices change,
so a JSON file given with ``--prices`` or ``KERNELWRIGHT_PRICES`` extends or overrides it:
``{"my-model": {"input": 0.5, "output": 1.5}}``. A model name matches the longest entry it
starts with, so dated snapshots (``gpt-4o-2024-08-06``) find their family's price.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kernelwright.agent.errors import AgentError

PRICES_ENV = "KERNELWRIGHT_PRICES"


@dataclass(frozen=True)
class Price:
    input: float  # $ per million prompt tokens
    output: float  # $ per million completion tokens


BUILTIN_PRICES: dict[str, Price] = {
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
}


@dataclass
class PriceTable:
    prices: dict[str, Price] = field(default_factory=lambda: dict(BUILTIN_PRICES))

    def lookup(self, model: str) -> Price | None:
        # Served names often carry a provider prefix ("openai/gpt-4o"); the table uses bare ones.
        names = [model, model.rsplit("/", 1)[-1]]
        for name in names:
            matches = [k for k in self.prices if name.startswith(k)]
            if matches:
                return self.prices[max(matches, key=len)]
        return None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.lookup(model)
        if price is None:
            return 0.0
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1e6

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """The built-in table, overridden by ``path`` or else by ``$KERNELWRIGHT_PRICES``."""
        table = cls()
        source = path or os.environ.get(PRICES_ENV)
        if not source:
            return table
        try:
            raw = json.loads(Path(source).read_text())
            for name, entry in raw.items():
                table.prices[name] = Price(float(entry["input"]), float(entry["output"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise AgentError(
                f"{source}: not a price table ({type(e).__name__}: {e}); expected "
                '{"model": {"input": $/Mtok, "output": $/Mtok}}'
            ) from None
        return table
