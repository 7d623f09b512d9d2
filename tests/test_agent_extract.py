"""Code extraction: the last complete python block, else the whole answer when it is code,
else a format error that tells the model what to fix."""

from __future__ import annotations

from kernelwright.agent.extract import extract_code

CODE = "import torch\n\n\nclass ModelNew(torch.nn.Module):\n    pass\n"


def test_last_complete_python_block_wins():
    answer = f"First try:\n```python\nx = 1\n```\nBetter:\n```python\n{CODE}```\nDone."
    assert extract_code(answer).code == CODE


def test_py_label_and_longer_fences():
    assert extract_code(f"````py\n{CODE}````").code == CODE


def test_unlabelled_block_counts_when_it_is_code():
    assert extract_code(f"```\n{CODE}```").code == CODE
    assert extract_code("```\nrun it with pytest\n```").code is None


def test_other_languages_are_not_code():
    e = extract_code("```bash\npip install triton\n```")
    assert e.code is None and "No ```python code block" in e.error


def test_whole_answer_that_is_only_code():
    assert extract_code(CODE).code == CODE
    assert extract_code(CODE.rstrip("\n")).code == CODE


def test_prose_is_a_format_error():
    e = extract_code("I would tile the rows and reduce.")
    assert e.code is None and "No ```python code block" in e.error
    # A lone word parses as Python, but defines nothing.
    assert extract_code("Sure").code is None


def test_truncated_answer_says_it_was_cut_off():
    e = extract_code(f"Here:\n```python\n{CODE[:20]}", finish_reason="length")
    assert e.code is None and "cut off at the token limit" in e.error


def test_truncated_answer_keeps_an_earlier_complete_block():
    answer = f"```python\n{CODE}```\nAnd a faster one:\n```python\nimport tri"
    assert extract_code(answer, finish_reason="length").code == CODE


def test_empty_answer():
    e = extract_code("", finish_reason="length")
    assert e.code is None and "empty" in e.error and "ran out of tokens" in e.error
