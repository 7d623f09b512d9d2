"""Feedback names the check that failed and why: a failure the elementwise tolerance hides (the
demo softmax's masked lanes loaded as 0, caught by the error-against-spread check) is led by
that check and diagnosed by its pattern, and the terminal shows the whole line."""

from __future__ import annotations

import torch
from rich.console import Console

from kernelwright.agent.progress import Progress
from kernelwright.outcome import Check, Outcome, Status
from kernelwright.prompts.feedback import diagnose_mismatch
from kernelwright.prompts.render import render_feedback
from kernelwright.runlog import AttemptRecord, ProblemRef, Usage
from kernelwright.sandbox.verify import compare

SPREAD_DETAIL = (
    "within atol/rtol, but the error (rms 0.000201) is 23.2% of the reference's own variation "
    "(rms 0.000868): a constant or zero output passes a loose tolerance here, so the values "
    "must follow the reference"
)


def masked_lanes_as_zero_softmax() -> tuple[torch.Tensor, torch.Tensor]:
    """A row softmax over 1500 columns in a block of 2048 whose masked lanes load 0: they join
    the max and the sum, so every row comes out scaled by its own factor."""
    torch.manual_seed(0)
    x = torch.randn(9, 1500)
    ref = torch.softmax(x, dim=1).half()
    padded = torch.cat([x, torch.zeros(9, 548)], dim=1)
    num = torch.exp(x - padded.max(dim=1, keepdim=True).values)
    den = torch.exp(padded - padded.max(dim=1, keepdim=True).values).sum(dim=1, keepdim=True)
    return (num / den).half(), ref


def test_an_error_under_the_tolerance_is_diagnosed_by_its_pattern():
    out, ref = masked_lanes_as_zero_softmax()
    atol = rtol = 1e-2
    verdict = compare(out, ref, atol, rtol)
    assert not verdict.ok and "within atol/rtol" in verdict.detail  # the spread check failed
    d = diagnose_mismatch(out, ref, atol, rtol)
    assert d["n_wrong"] == 0
    assert d["pattern"] == "row_scale"
    assert "masked lanes" in d["diagnosis"] and "elsewhere" not in d["diagnosis"]


def test_an_output_equal_to_the_reference_up_to_rounding_has_no_pattern():
    _, ref = masked_lanes_as_zero_softmax()
    out = (ref.float() * (1 + 1e-4 * torch.randn(ref.shape))).half()
    assert diagnose_mismatch(out, ref, 1e-2, 1e-2)["pattern"] == "within_tolerance"


def spread_failure() -> Outcome:
    out, ref = masked_lanes_as_zero_softmax()
    mismatch = {"output": 0, **diagnose_mismatch(out, ref, 1e-2, 1e-2)}
    return Outcome(
        status=Status.incorrect,
        message=f"output matches (seed 7): {SPREAD_DETAIL} Diagnosis: {mismatch['diagnosis']}",
        checks=[
            Check(name="inputs unchanged (seed 7)", passed=True),
            Check(name="output matches (seed 7)", passed=False, detail=SPREAD_DETAIL),
        ],
        details={"mismatch": mismatch},
    )


def test_feedback_leads_with_the_failed_check_and_its_detail():
    text = render_feedback(spread_failure(), "import torch\n", "full")
    lines = text.splitlines()
    assert lines[0] == "## Result: incorrect: wrong values"
    assert lines[1] == f"Failed check: output matches (seed 7): {SPREAD_DETAIL}"
    assert "0 of 13500 elements wrong" not in text
    assert "every element is within atol/rtol" in text
    assert "masked lanes must load `other` neutral" in text
    assert "the failure is elsewhere" not in text
    assert text.count(SPREAD_DETAIL) == 1


def test_the_terminal_line_of_a_failed_attempt_is_whole():
    outcome = spread_failure()
    record = AttemptRecord(
        run_id="r",
        trajectory_id="r-t0",
        problem=ProblemRef(name="softmax", path="softmax.py", sha256="0" * 64, shape="small"),
        turn=0,
        sample=0,
        model="m",
        sampling={},
        prompt_version="1",
        prompt_variant="full",
        messages=[],
        response="",
        code="",
        outcome=outcome,
        feedback="",
        usage=Usage(),
    )
    console = Console(record=True, width=100)
    Progress(console).attempt(record)
    shown = " ".join(console.export_text().split())
    assert "…" not in shown
    assert " ".join(outcome.message.split()) in shown
