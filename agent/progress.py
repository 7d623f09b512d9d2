"""Live progress of a run: one line per attempt, and a footer with the totals so far."""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from kernelwright.agent.budget import Ledger, speedup
from kernelwright.agent.models import ModelClient
from kernelwright.outcome import Status
from kernelwright.runlog import AttemptRecord

STYLE = {Status.correct: "green", Status.incorrect: "yellow", Status.format_error: "magenta"}


def _tokens(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def _first_line(text: str) -> str:
    # Whole, wrapped by the terminal: a cut line loses the why of a failed check.
    return text.strip().splitlines()[0] if text.strip() else ""


class Progress:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.ledger: Ledger | None = None
        self.turns_done = 0
        self._live: Live | None = None

    def start(self, client: ModelClient, ledger: Ledger, resumed: int = 0) -> None:
        self.ledger = ledger
        if client.replay:
            self.console.print(
                f"[bold cyan]REPLAY[/] {client.name}: the answers come from a recorded "
                "transcript, no model is called; the sandbox checks each one for real."
            )
        if resumed:
            self.console.print(f"resuming: {resumed} attempt(s) already on disk are kept")
        self._live = Live(self, console=self.console, refresh_per_second=2, transient=True)
        self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def retry(self, reason: str, wait_s: float) -> None:
        self.console.print(f"[dim]model call {reason}; retrying in {wait_s:.1f} s[/]")

    def attempt(self, record: AttemptRecord) -> None:
        self.turns_done = max(self.turns_done, record.turn + 1)
        status = record.outcome.status
        s = speedup(record)
        usage = record.usage
        paid = "cached" if usage.cached else "replay" if record.replay else f"${usage.cost_usd:.4f}"
        line = Text.assemble(
            f"turn {record.turn + 1} sample {record.sample + 1}  ",
            (f"{status.value:<13}", STYLE.get(status, "red")),
            f" {s:.2f}x" if s is not None else "",
            f"  {_tokens(usage.prompt_tokens + usage.completion_tokens)} tok {paid}",
            f"  model {record.model_s:.1f}s eval {record.eval_s:.1f}s",
        )
        if not record.outcome.correct:
            line.append(f"\n    {_first_line(record.outcome.message)}", style="dim")
        self.console.print(line)

    def __rich__(self) -> Text:
        ledger = self.ledger
        if ledger is None:
            return Text("")
        best = ledger.best
        if best is None:
            best_text = "none yet"
        else:
            s = speedup(best)
            best_text = best.outcome.status.value + (f" {s:.2f}x" if s is not None else "")
        return Text(
            f"turn {self.turns_done}/{ledger.limits.turns} · attempts {ledger.attempts} · "
            f"best {best_text} · tokens {_tokens(ledger.tokens)} · ${ledger.cost_usd:.4f} · "
            f"{ledger.elapsed():.0f}s",
            style="bold",
        )
