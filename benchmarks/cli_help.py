"""Time of ``kernelwright --help`` and of every subcommand's ``--help``: the console script
as a user runs it, a fresh process each time, median of ``--repeat`` runs. Wall time, and the
CPU time (user + system) the process used, which a busy machine inflates less.

    python benchmarks/cli_help.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [
    [],
    ["check"],
    ["generate"],
    ["eval"],
    ["mutate"],
    ["report"],
    ["prompt"],
    ["problems", "list"],
    ["corpus", "build"],
    ["corpus", "generate"],
    ["corpus", "teach"],
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    exe = shutil.which("kernelwright") or str(Path(sys.executable).parent / "kernelwright")
    walls, cpus = {}, {}
    for command in COMMANDS:
        wall, cpu = [], []
        for _ in range(args.repeat):
            before = os.times()
            start = time.perf_counter()
            subprocess.run([exe, *command, "--help"], capture_output=True, check=True)
            wall.append(time.perf_counter() - start)
            after = os.times()
            cpu.append(
                after.children_user
                + after.children_system
                - before.children_user
                - before.children_system
            )
        name = " ".join(["kernelwright", *command, "--help"])
        walls[name], cpus[name] = statistics.median(wall), statistics.median(cpu)
        print(f"wall {walls[name]:.2f} s  cpu {cpus[name]:.2f} s  {name}", flush=True)
    print(
        f"slowest median over {len(walls)} commands: wall {max(walls.values()):.2f} s, "
        f"cpu {max(cpus.values()):.2f} s (load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
