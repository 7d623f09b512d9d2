"""A non-editable install carries everything at run time: prompts, problems, solutions, demos,
under the one ``kernelwright`` namespace and nothing else at the top of site-packages."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_holds_the_package_data_and_no_top_level_shadows(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("kernelwright-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"kernelwright"}
    for needed in (
        "kernelwright/prompts/templates/system.j2",
        "kernelwright/prompts/guide.md",
        "kernelwright/prompts/patterns/row_softmax.py",
        "kernelwright/reference_kernels/problems/level1/softmax.py",
        "kernelwright/reference_kernels/problems/level3/attn_causal_prefill.py",
        "kernelwright/reference_kernels/solutions/softmax.py",
        "kernelwright/agent/demo/softmax.jsonl",
        "kernelwright/evals/METRICS.md",
        "kernelwright/sandbox/worker.py",
    ):
        assert needed in names, needed
