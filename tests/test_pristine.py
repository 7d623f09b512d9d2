"""sandbox/pristine.py: a copy of the process, asked for work, answers each item from a child of
its own, and neither a raise nor a hang there reaches the asker."""

from __future__ import annotations

import os
import time

from kernelwright.sandbox.pristine import Pristine

STATE = {"calls": 0}


def _work(item):
    STATE["calls"] += 1  # in a child: the copy's own count never moves
    if item["do"] == "raise":
        raise ValueError("nope")
    if item["do"] == "hang":
        time.sleep(60)
    return {"pid": os.getpid(), "calls": STATE["calls"], "x": item["x"]}


def test_each_item_runs_as_the_first_call_of_a_child_of_its_own():
    copy = Pristine(_work)
    STATE["calls"] = 5  # after the fork: the copy does not see it
    answers = copy.ask([{"do": "ok", "x": i} for i in range(3)], timeout=20)
    assert [a["x"] for a in answers] == [0, 1, 2]
    assert [a["calls"] for a in answers] == [1, 1, 1]
    assert len({a["pid"] for a in answers} | {os.getpid()}) == 4
    assert copy.pid is None  # asked once, then reaped


def test_a_raise_or_a_hang_in_a_child_is_an_answer_not_an_exception():
    copy = Pristine(_work)
    start = time.monotonic()
    raised, hung, fine = copy.ask(
        [{"do": "raise", "x": 0}, {"do": "hang", "x": 1}, {"do": "ok", "x": 2}], timeout=1
    )
    assert raised == {"error": "ValueError: nope"}
    assert hung["error"].startswith("forward did not finish within 1 s")
    assert fine["x"] == 2
    assert time.monotonic() - start < 30


def test_a_copy_never_asked_is_reaped_on_close():
    copy = Pristine(_work)
    pid = copy.pid
    copy.close()
    assert copy.pid is None
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
