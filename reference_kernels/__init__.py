"""The bundled problem suite (``problems/levelN``) and known-good Triton solutions (``solutions``)."""

from pathlib import Path

ROOT = Path(__file__).parent
PROBLEMS = ROOT / "problems"
SOLUTIONS = ROOT / "solutions"


def solution_for(problem: Path) -> Path:
    """The bundled solution of a bundled problem: same file name under ``solutions/``."""
    return SOLUTIONS / problem.name
