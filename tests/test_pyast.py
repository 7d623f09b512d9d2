"""Parsing from many threads at once: the pool judges candidates in threads while the agent
parses answers, and CPython < 3.12 can fail such parses with "AST constructor recursion depth
mismatch" unless they are serialised."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kernelwright import pyast

# Nested enough that the converter recurses deeply, as a real kernel module does.
SOURCE = "x = " + "(" * 40 + "1" + ")" * 40 + "\n" + "def f():\n    return [[[[1]]]]\n" * 50


def test_parse_from_many_threads_at_once():
    def work(_: int) -> int:
        return sum(len(pyast.parse(SOURCE).body) for _ in range(40))

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(work, range(16)))
    assert counts == [40 * 51] * 16
