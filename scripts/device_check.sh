#!/usr/bin/env bash
# One command for a GPU machine: versions, measured peaks, the GPU tests, every bundled solution
# at --shape bench against eager and torch.compile, and the timing benchmarks.
#
#   scripts/device_check.sh OUT
#
# Writes into OUT (at most 9 files, flat, as the device tool brings back):
#   device_check.log     versions, install, measured peaks, per-step status and the summary
#   pytest-gpu.xml       junit of `pytest -m gpu tests`      pytest-gpu.log   its output
#   table.json           one row per bundled problem (problem, status, eager ms, compiled ms,
#                        solution ms, % of roofline, ...), rewritten after every problem
#   table.txt            the same table, printed
#   timer_agreement.txt  our timer vs triton.testing.do_bench
#   sandbox_overhead.txt benchmarks/sandbox_overhead.py, when that file exists
#   teacher.txt          the inductor teacher on two level-2 problems: how many verified
#
# Every step runs under `timeout`, within one overall budget (KW_DEVICE_BUDGET_S, default 450 s,
# so the whole run ends well inside 8 minutes on an H100); a failed step does not stop the
# others, and the exit status is non-zero if any step failed or was skipped.
#
# The machine has no network. Python packages it lacks (pydantic and openai, with their
# dependencies) travel as wheels: put them in .whl/ (or shared/wheels/, wheels/, or a folder
# named by KW_WHEELS) and carry that folder with the call. Downloaded, on a machine with
# network, for the device's CPython 3.12 (this set was resolved on 2026-11-26, 5.4 MB):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#     -d .whl pydantic==2.14.4 pydantic-core==2.50.5 annotated-types typing-inspection \
#     typing-extensions openai==2.54.0 jiter distro sniffio
# They are installed with `pip install --no-index --no-deps --target /tmp/kw-site WHEELS/*.whl`,
# first on PYTHONPATH; kernelwright itself is installed editable, without network.

set -u -o pipefail

if [ $# -ne 1 ]; then
  echo "usage: scripts/device_check.sh OUT" >&2
  exit 2
fi
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
BUDGET_S=${KW_DEVICE_BUDGET_S:-450}
START=$(date +%s)
LOG="$OUT/device_check.log"
export PYTHONUNBUFFERED=1
FAILED=()
: >"$LOG"

say() { echo "$*" | tee -a "$LOG"; }

left_s() { echo $((BUDGET_S - ($(date +%s) - START))); }

# step NAME CAP_S OUTFILE COMMAND...: run under a timeout of min(CAP_S, budget left), appending
# its output to OUTFILE; record a failure (non-zero exit, timeout, or no time left to start).
step() {
  local name=$1 cap=$2 file=$3
  shift 3
  local left t rc
  left=$(left_s)
  t=$((cap < left ? cap : left))
  if [ "$t" -lt 10 ]; then
    say "== $name: skipped, the ${BUDGET_S} s budget is spent"
    FAILED+=("$name (skipped)")
    return
  fi
  say "== $name (timeout ${t} s)"
  local t0
  t0=$(date +%s)
  # Through bash -c so that a step can be one of the functions exported below.
  timeout --kill-after=10 "$t" bash -c '"$@"' "$name" "$@" 2>&1 | tee -a "$file"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    FAILED+=("$name (timed out after ${t} s)")
  elif [ "$rc" -ne 0 ]; then
    FAILED+=("$name (exit $rc)")
  fi
  say "== $name: exit $rc in $(($(date +%s) - t0)) s"
}

versions() {
  nvidia-smi -L || true
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,power.draw \
    --format=csv || true
  command -v ncu >/dev/null && ncu --version | tail -n 1
  "$PY" -c 'import sys, torch, triton; print("python", sys.version.split()[0]); print("torch", torch.__version__, "cuda", torch.version.cuda); print("triton", triton.__version__); print("device", torch.cuda.get_device_name() if torch.cuda.is_available() else "none")'
}

install() {
  local wheels="" d
  for d in "${KW_WHEELS:-}" .whl shared/wheels wheels; do
    if [ -n "$d" ] && compgen -G "$d/*.whl" >/dev/null; then
      wheels=$d
      break
    fi
  done
  if [ -n "$wheels" ]; then
    echo "installing wheels from $wheels into /tmp/kw-site"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/kw-site "$wheels"/*.whl || return 1
  else
    echo "no wheel folder (.whl, shared/wheels, wheels): using the machine's packages"
  fi
  # Editable needs setuptools >= 64 there; otherwise a plain copy into the same target folder.
  "$PY" -m pip install -q --no-index --no-deps --no-build-isolation -e . \
    || "$PY" -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/kw-site . \
    || return 1
  "$PY" -c 'import pydantic, kernelwright.sandbox.timing, kernelwright.cli; print("kernelwright importable")'
}

export PY
export -f versions install
# First on the path, so the carried wheels win; harmless when install finds none.
export PYTHONPATH="/tmp/kw-site${PYTHONPATH:+:$PYTHONPATH}"
step versions 20 "$LOG" versions
step install 60 "$LOG" install
step peaks 45 "$LOG" "$PY" -m kernelwright.hardware --measure
# Only the files that hold GPU tests: the sandbox's (verification: the profiler's kernel list,
# tests/test_verification_profiler_gpu.py, sorts first) first, then the timer's, then the rest; the teacher's test compiles with max-autotune for a minute or more, so it runs
# last, where the step's cap cuts it rather than the others. Naming the files also keeps pytest
# from importing the other areas' test modules: the ray ones import ray, which the device image
# lacks, and one collection error ends a whole session before any test runs. -v names each test
# as it finishes, for a run the cap cuts.
GPU_TESTS=$(
  grep -l 'mark\.gpu' tests/test_*gpu*.py | sort -r
  grep -l 'mark\.gpu' tests/test_*.py | grep -v 'gpu[^/]*\.py$'
)
# shellcheck disable=SC2086  # one path a word
step pytest-gpu 150 "$OUT/pytest-gpu.log" \
  "$PY" -m pytest -m gpu -v $GPU_TESTS -p no:cacheprovider --timeout 100 \
  --continue-on-collection-errors --junitxml="$OUT/pytest-gpu.xml"
# The checks take what is left but about 190 s, which the benchmarks and the teacher need.
CHECK_S=$(($(left_s) - 190))
step checks "$CHECK_S" "$OUT/table.txt" \
  "$PY" scripts/device_table.py --out "$OUT" --shape bench --deadline-s $((CHECK_S - 15))
# Three repeats of six kernels: about 25 s (each repeat is one time_fn, about 1.2 s, and one
# do_bench); the default five would take the whole cap.
step timer-agreement 60 "$OUT/timer_agreement.txt" "$PY" benchmarks/timer_agreement.py \
  --repeats 3
# The inductor teacher on two level-2 fusions (where inductor's Triton is most useful): a
# pointwise one and a GEMM with an epilogue (max-autotune's Triton templates, the riskiest
# rewrite). All six, two shape sets each with max-autotune, take minutes, and the command
# prints nothing until the end. It prints one line per problem and "inductor teacher: V of N
# problems verified". A fresh run folder each time: teach refuses one that holds a run.
TEACH_SUITE=$(mktemp -d /tmp/kw-teach-suite.XXXXXX)
cp reference_kernels/problems/level2/fused_scaled_gelu_tanh.py \
  reference_kernels/problems/level2/fused_linear_bias_gelu.py "$TEACH_SUITE"/
step teacher 90 "$OUT/teacher.txt" "$PY" -m kernelwright.cli corpus teach "$TEACH_SUITE" \
  --out "$TEACH_SUITE.run"
if [ -f benchmarks/sandbox_overhead.py ]; then
  # Three pairs: the fresh-process side costs a Python start, torch import and CUDA
  # initialisation (about 8 s) per candidate.
  step sandbox-overhead 40 "$OUT/sandbox_overhead.txt" "$PY" benchmarks/sandbox_overhead.py \
    --count 3
else
  say "== sandbox-overhead: benchmarks/sandbox_overhead.py is not in this tree"
fi

say "== done in $(($(date +%s) - START)) s"
if [ ${#FAILED[@]} -gt 0 ]; then
  say "FAILED: ${FAILED[*]}"
  exit 1
fi
say "all steps passed"
