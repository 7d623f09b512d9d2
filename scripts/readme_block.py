"""Print the commands of one marked block of README.md, for a shell to run.

A block is the fenced code block right after a ``<!-- readme: NAME -->`` line. CI runs the
README's set-up, demo and test blocks through this (``.ci/run``), and tests/test_readme.py
reads them through it, so the README and what is run cannot drift apart.

    python3 scripts/readme_block.py setup|demo|test [README]

Standard library only: it runs before kernelwright is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def block(text: str, name: str) -> str:
    """The code of the block marked ``name``, with its comments and blank lines dropped."""
    m = re.search(rf"^<!-- readme: {re.escape(name)} -->\n```\w*\n(.*?)^```", text, re.M | re.S)
    if m is None:
        raise SystemExit(f"README.md has no block marked <!-- readme: {name} -->")
    lines = [re.sub(r"\s+#.*$", "", line).rstrip() for line in m.group(1).splitlines()]
    return "\n".join(line for line in lines if line and not line.startswith("#"))


if __name__ == "__main__":
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else README
    print(block(path.read_text(encoding="utf-8"), sys.argv[1]))
