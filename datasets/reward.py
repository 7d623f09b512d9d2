"""The RL reward of one attempt, from its Outcome alone. Formulas and rationale: REWARD.md.

The version is written into every exported row; change it whenever a weight or formula
changes, so rewards from two corpus builds are never mixed unknowingly.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from kernelwright.outcome import Outcome, Status

REWARD_VERSION = "kw-reward-1"

W_FORMAT = 0.1
W_COMPILE = 0.1
W_CORRECT = 1.0
W_SPEEDUP = 0.5
W_ROOFLINE = 0.3
REJECTED = -1.0
# log base of the speedup term: a 4x speedup over eager earns the full speedup weight.
SPEEDUP_SATURATION = 4.0

NOT_COMPILED = {Status.format_error, Status.compile_error}


class Reward(BaseModel):
    version: str = REWARD_VERSION
    format: float
    compile: float
    correctness: float
    # None where not measured (the interpreter has no timing); counts as 0 in the total.
    speedup: float | None
    roofline: float | None
    total: float


def _clip(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def reward(outcome: Outcome) -> Reward:
    status = outcome.status
    fmt = 0.0 if status is Status.format_error else 1.0
    comp = 0.0 if status in NOT_COMPILED else 1.0
    correct = 1.0 if status is Status.correct else 0.0
    speedup = roofline = None
    if correct and outcome.timing and outcome.timing.speedup_eager:
        ratio = outcome.timing.speedup_eager
        speedup = _clip(math.log(ratio) / math.log(SPEEDUP_SATURATION), -1.0, 1.0)
    if correct and outcome.roofline and outcome.roofline.pct_of_bound is not None:
        roofline = _clip(outcome.roofline.pct_of_bound / 100.0, 0.0, 1.0)
    if status is Status.rejected:
        total = REJECTED
    else:
        total = (
            W_FORMAT * fmt
            + W_COMPILE * comp
            + W_CORRECT * correct
            + correct * (W_SPEEDUP * (speedup or 0.0) + W_ROOFLINE * (roofline or 0.0))
        )
    return Reward(
        format=fmt,
        compile=comp,
        correctness=correct,
        speedup=speedup,
        roofline=roofline,
        total=round(total, 6),
    )
