"""Every ``--help``: no heavy import behind it (what makes it fast), no ``<bool>`` shown for a
flag, examples and the exit codes. Measured, not asserted on time: see README (--help)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

COMMANDS = [
    [],
    ["check"],
    ["generate"],
    ["eval"],
    ["mutate"],
    ["report"],
    ["prompt"],
    ["problems"],
    ["problems", "list"],
    ["corpus"],
    ["corpus", "build"],
    ["corpus", "generate"],
    ["corpus", "teach"],
]
HEAVY = ("torch", "triton", "openai", "numpy", "pyarrow", "pandas", "docker", "jinja2")

# Runs the real entry point, then reports which heavy modules it had imported.
PROBE = """
import json, sys
watched = json.loads(sys.argv[2])
sys.argv = ["kernelwright", *json.loads(sys.argv[1])]
from kernelwright.cli import main
try:
    main()
except SystemExit as e:
    code = e.code
heavy = [m for m in watched if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kernelwright")
def test_help_imports_nothing_heavy_and_shows_examples_and_exit_codes(command):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([*command, "--help"]), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    *help_lines, last = proc.stdout.rstrip().splitlines()
    result = json.loads(last)
    text = "\n".join(help_lines)
    assert result == {"code": 0, "heavy": []}, proc.stderr
    assert "Examples:" in text and "kernelwright " in text.split("Examples:")[1]
    assert "Exit status:" in text and "  2  usage error" in text
    assert "<bool>" not in text
