"""Audit the mutants `kernelwright mutate` calls equivalent: run each beside the original in
Triton's CPU interpreter on inputs picked to tell them apart, and compare bit for bit.

An equivalence proof (``evals/equivalence.py`` and the lane proofs it calls) takes a mutant out
of the score's denominator. If the proof is unsound, a real bug is hidden and the score
inflated; a single valid input on which the two programs give different bits refutes it.

Which mutants: those the current code judges equivalent (``--source judge``: the original is
checked once for its launch records, then every mutant of the ``mutate`` sample is judged,
IR cache shared with ``mutate``), those the recorded scores list (``--source record``), or
every mutant of ``@triton.jit`` code (``--source all``: a blind sweep).

Inputs, per problem: the shape sets a check draws (small, several held-out draws, the
many-tiles shape where the problem has one) and, one size group at a time, values of the
problem's own shape domain that sit at tile edges (its minimum, one past 16/32/64/128/...,
just under them); per shape several seeds, each as ``get_inputs`` makes it, under the
problem's stress regimes, and pushed to values where a masked lane's ``other`` can win a
reduction (all negative, all positive, zeros, large and small magnitudes). Output lines:
one JSON object per mutant (verdict ``differs`` with the first input that showed it, or
``same`` with the count of inputs run).

    python scripts/audit_equivalent_mutants.py cumsum rms_norm [--source judge] [--json out.json]

A ``differs`` on a mutant the judge found to have the original's very Triton IR is the
interpreter's, not the proof's: the interpreter hands a float kernel argument to the kernel as
a Python float, which Triton's type promotion leaves out, so ``float16 tensor * float argument``
is float16 there and float32 compiled (attn_decode_kvcache's ``q.to(tl.float16) * qk_scale``).
Compare the TTIR before calling a proof unsound.

The interpreter runs in a child process of this script (``TRITON_INTERPRET=1`` must be set
before Triton loads; the judge's compiles need it unset).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Values a masked lane's `other` (0 or 1) could beat or be beaten by, and magnitudes where a
# reordered or widened computation rounds differently.
VALUE_MODES = ("plain", "negative", "positive", "zeros", "large", "tiny")
# Tile edges: a size group is set one past and one under each (and to its minimum).
EDGES = (16, 32, 64, 128, 256, 512, 1024, 2048)
INPUT_BUDGET = 1 << 17
SWEEP = 5  # tile-edge values per size group  # input elements per shape (the interpreter is slow)


def _mutants(name: str, per_class: int):
    from kernelwright.evals import mutation
    from kernelwright.evals.mutants import make_mutants
    from kernelwright.problem import exec_problem, read_problem, resolve_problem

    path = resolve_problem(name)
    info = read_problem(path)
    code = (path.parents[2] / "solutions" / f"{path.stem}.py").read_text()
    args = exec_problem(info, "small").inputs(0).args
    shapes = [tuple(a.shape) if hasattr(a, "shape") else None for a in args]
    return path, code, mutation.sample(make_mutants(code, shapes), per_class)


def _judged(pool, path: Path, code: str, mutants) -> dict[str, str]:
    """mutant id -> the judge's reason, for those the current code calls equivalent."""
    from kernelwright.evals import equivalence, mutation

    base = pool.evaluate(mutation.request(path, code, None, 300).job())
    if not base.correct:
        raise SystemExit(f"{path.stem}: the original is not correct: {base.message[:200]}")
    records = base.details.get("launch_records") or []
    compiler = equivalence.IRCompiler(pool.backend, pool.helper_spec("ttir-audit"))
    try:
        judge = equivalence.Judge(compiler, code, records)
        out = {}
        for m in mutants:
            v = judge.judge(m)
            if v.verdict == "equivalent":
                out[m.id] = v.why
        return out
    finally:
        compiler.close()


def _recorded(name: str) -> dict[str, str]:
    from kernelwright.evals import mutation

    entry = mutation.read_scores().get(name) or {}
    return {e["id"]: e["why"] for e in entry.get("equivalents", [])}


# ---------------------------------------------------------------- the interpreter side


def _shapes(info, module, extra: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(label, size overrides): the sizes asked for (``extra``: ``name=v,name=v`` over
    `small`), the check's own draws, then tile edges of each size group."""
    import random

    from kernelwright import problem as P

    small, _ = P._small_and_avoid(info, module)
    out = [("small", dict(small))]
    for text in extra:
        sizes = {k: int(v) for k, v in (kv.split("=") for kv in text.split(","))}
        out.append((f"extra {text}", {**small, **sizes}))
    for seed in range(2):
        try:
            out.append(
                (
                    f"heldout#{seed}",
                    dict(P._heldout(info, module, random.Random(seed), "cpu").overrides),
                )
            )
        except Exception:
            pass
    if P.has_tiles_shape(info):
        for seed in range(2):
            draw = P._tiles_heldout(info, module, random.Random(seed))
            if draw is not None:
                out.append((f"tiles#{seed}", dict(draw.overrides)))
    for group in P.shape_domain(info):
        values = {group.low}
        if not group.pow2:
            values.add(group.low + group.step)
            past = [
                v
                for edge in EDGES
                for v in (edge + group.step, edge - group.step)
                if group.low < v <= group.top and v % group.step == 0
            ]
            # At most SWEEP of them, spread over the range.
            values.update(past[:: max(1, len(past) // SWEEP)][:SWEEP])
        else:
            v = 2 ** max(0, (group.low - 1).bit_length())
            while v <= min(group.top, 4096):
                values.add(v)
                v *= 2
        for v in sorted(values):
            vals = {**info.constants, **small}
            for slot in group.slots:
                P._set(info, vals, slot, v)
            changed = {k: vals[k] for k in vals if k not in info.derived}
            label = f"{P._group_name(group)}={v}"
            out.append((label, changed))
    seen, unique = set(), []
    for label, o in out:
        key = json.dumps(o, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            unique.append((label, o))
    return unique


def _cheapest_first(info, shapes: list, keep: int) -> list:
    """The first ``keep`` shapes (`small` and those asked for) as they are, then the rest by
    input size: a small shape at a tile edge shows a masked lane as well as a big one."""
    from kernelwright import problem as P

    def numel(overrides: dict) -> float:
        try:
            return P._input_numel(info, P.exec_problem(info).module, overrides) or 0
        except Exception:
            return float("inf")

    return shapes[:keep] + sorted(shapes[keep:], key=lambda s: numel(s[1]))


def _transform(mode: str, args: list, seed: int) -> list:
    import torch

    from kernelwright.regimes import is_value_data

    out = []
    for a in args:
        if mode == "plain" or not is_value_data(a):
            out.append(a)
            continue
        x = a.detach()
        if mode == "negative":
            y = -x.abs() - 0.5
        elif mode == "positive":
            y = x.abs() + 0.5
        elif mode == "zeros":
            y = torch.zeros_like(x)
        elif mode == "large":
            y = x * (1e3 if x.dtype == torch.float16 else 1e6)
        else:  # tiny
            y = x * (1e-3 if x.dtype == torch.float16 else 1e-6)
        out.append(y.to(a.dtype))
    return out


def _bits(t):
    """A tensor's bits (for bitwise comparison with NaN equal to the same NaN)."""
    import torch

    t = t.detach().contiguous()
    if t.is_floating_point():
        width = {2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
        return t.view(width)
    return t


def _outs(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _compare(a: list, b: list) -> str | None:
    """Where two outputs differ in bits (None: identical)."""
    import torch

    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} outputs"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if not isinstance(x, torch.Tensor):
            if x != y:
                return f"output {i}: {x!r} vs {y!r}"
            continue
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"output {i}: {tuple(x.shape)} {x.dtype} vs {tuple(y.shape)} {y.dtype}"
        diff = _bits(x) != _bits(y)
        if bool(diff.any()):
            idx = diff.nonzero()[0].tolist()
            xd, yd = x.double(), y.double()
            err = (xd - yd).abs()
            err = err[torch.isfinite(err)]
            return (
                f"output {i}: {int(diff.sum())} of {x.numel()} elements differ; first at "
                f"{idx}: original {x[tuple(idx)].item()!r}, mutant {y[tuple(idx)].item()!r}; "
                f"max |diff| {err.max().item() if err.numel() else float('nan'):.3g}"
            )
    return None


def _close(ref: list, got: list, tol) -> bool:
    import torch

    try:
        return all(
            torch.allclose(g.double(), r.double(), atol=tol.atol, rtol=tol.rtol, equal_nan=True)
            if isinstance(r, torch.Tensor)
            else r == g
            for r, g in zip(ref, got, strict=True)
        )
    except Exception:
        return False


def _load(code: str, folder: Path, name: str):
    import importlib.util

    path = folder / f"{name}.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(spec: dict) -> None:
    """Child side: one JSON line per mutant, as each is settled."""
    import torch

    from kernelwright import problem as P
    from kernelwright.regimes import active
    from kernelwright.sandbox import trial_inputs

    info = P.read_problem(spec["problem"])
    base = P.exec_problem(info)
    shapes = _shapes(info, base.module, spec.get("extra", []))
    regimes = [None, *active(info.meta.regimes)]
    deadline = time.monotonic() + spec["budget_s"]
    todo = {m["id"]: m for m in spec["mutants"]}
    ran = {k: 0 for k in todo}
    shapes = _cheapest_first(info, shapes, len(spec.get("extra", [])) + 1)
    print(json.dumps({"shapes": [s for s, _ in shapes]}), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="kw-audit-"))
    for label, overrides in shapes:
        if not todo or time.monotonic() > deadline:
            break
        pm = P.exec_problem(info)
        pm.overrides = dict(overrides)
        try:
            P._bind(info, pm.module, overrides)
            numel = sum(a.numel() for a in pm.inputs(0).args if isinstance(a, torch.Tensor))
        except Exception as e:
            print(json.dumps({"shape": label, "skipped": f"{type(e).__name__}: {e}"}), flush=True)
            continue
        if numel > INPUT_BUDGET:
            print(json.dumps({"shape": label, "skipped": f"{numel} input elements"}), flush=True)
            continue
        dtype, _ = trial_inputs.run_dtype(pm, True)
        tol = info.tolerance(str(dtype).removeprefix("torch.") if dtype else "float32")
        models = {}
        for key, code in [("original", spec["original"])] + [
            (k, m["code"]) for k, m in todo.items()
        ]:
            module = _load(code, folder, f"kw_audit_{key.replace('-', '_')}")
            pm.rebind_copies(module)
            models[key] = trial_inputs.build(pm, module.ModelNew, 0, "cpu", dtype)
        ref_model = trial_inputs.build(pm, pm.module.Model, 0, "cpu", dtype)
        for seed in range(spec["seeds"]):
            for regime in regimes:
                for mode in VALUE_MODES:
                    if not todo or time.monotonic() > deadline:
                        break
                    if regime is not None and mode != "plain":
                        continue
                    inputs = trial_inputs.make_inputs(pm, seed, "cpu", dtype, regime)
                    inputs = _transform(mode, inputs, seed)
                    where = {
                        "shape": label,
                        "sizes": {k: v for k, v in overrides.items()},
                        "seed": seed,
                        "regime": regime or "get_inputs",
                        "values": mode,
                    }
                    with torch.no_grad():
                        try:
                            ref = _outs(ref_model(*[trial_inputs.clone(a) for a in inputs]))
                            orig = _outs(
                                models["original"](*[trial_inputs.clone(a) for a in inputs])
                            )
                            again = _outs(
                                models["original"](*[trial_inputs.clone(a) for a in inputs])
                            )
                        except Exception as e:
                            print(
                                json.dumps({**where, "skipped": f"{type(e).__name__}: {e}"[:300]}),
                                flush=True,
                            )
                            break
                        steady = _compare(orig, again) is None
                        orig_ok = _close(ref, orig, tol)
                        for key in list(todo):
                            try:
                                got = _outs(models[key](*[trial_inputs.clone(a) for a in inputs]))
                                why = (
                                    _compare(orig, got)
                                    if steady
                                    else (
                                        None
                                        if _close(orig, got, tol)
                                        else "outside tolerance of the original"
                                    )
                                )
                            except Exception as e:
                                why = f"mutant raised {type(e).__name__}: {e}"[:300]
                                got = None
                            ran[key] += 1
                            if why is not None:
                                print(
                                    json.dumps(
                                        {
                                            "id": key,
                                            "verdict": "differs",
                                            "input": where,
                                            "diff": why,
                                            "original_within_tolerance": orig_ok,
                                            "mutant_within_tolerance": got is not None
                                            and _close(ref, got, tol),
                                            "runs_before": ran[key],
                                        }
                                    ),
                                    flush=True,
                                )
                                del todo[key]
        print(json.dumps({"shape": label, "done": True, "open": len(todo)}), flush=True)
    for key in todo:
        print(json.dumps({"id": key, "verdict": "same", "runs": ran[key]}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problems", nargs="*")
    ap.add_argument("--source", choices=("judge", "record", "all"), default="judge")
    ap.add_argument("--ids", nargs="*", help="Only these mutant ids.")
    ap.add_argument("--per-class", type=int, default=6, help="As mutate (0: every mutant).")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument(
        "--sizes", nargs="*", default=[], help="Extra shapes first: name=v,name=v over small."
    )
    ap.add_argument("--budget-s", type=float, default=900.0, help="Interpreter time per problem.")
    ap.add_argument("--sandbox", default="subprocess")
    ap.add_argument("--json", type=Path, help="Append the per-mutant lines here.")
    ap.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # the child's spec
    args = ap.parse_args()
    if args.run:
        run(json.loads(args.run.read_text()))
        return
    from kernelwright.evals.mutants import is_jit  # noqa: F401  (fails early outside the venv)
    from kernelwright.sandbox.pool import make_pool

    with contextlib.ExitStack() as stack:
        pool = (
            stack.enter_context(make_pool(args.sandbox, "cpu", 1))
            if args.source == "judge"
            else None
        )
        for name in args.problems:
            path, code, mutants = _mutants(name, args.per_class)
            if args.source == "judge":
                chosen = _judged(pool, path, code, mutants)
            elif args.source == "record":
                chosen = _recorded(name)
            else:
                chosen = {m.id: "" for m in mutants}
            if args.ids:
                chosen = {k: v for k, v in chosen.items() if k in args.ids}
            picked = [m for m in mutants if m.id in chosen]
            print(f"# {name}: {len(picked)} mutant(s) to run: {', '.join(chosen)}", flush=True)
            if not picked:
                continue
            spec = {
                "problem": str(path),
                "original": code,
                "seeds": args.seeds,
                "extra": args.sizes,
                "budget_s": args.budget_s,
                "mutants": [{"id": m.id, "code": m.code} for m in picked],
            }
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(spec, f)
            env = {**os.environ, "TRITON_INTERPRET": "1"}
            child = subprocess.Popen(
                [sys.executable, __file__, "--run", f.name],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for line in child.stdout:
                row = json.loads(line)
                if "id" in row:
                    m = next(m for m in picked if m.id == row["id"])
                    row.update(problem=name, description=m.description, why_equivalent=chosen[m.id])
                    if args.json:
                        with args.json.open("a") as out:
                            out.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)
            child.wait()
            os.unlink(f.name)


if __name__ == "__main__":
    main()
