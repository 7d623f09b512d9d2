"""Render the prompts the model sees: the system prompt, the problem, and the feedback.

The abstraction has parts that switch on and off (``PromptConfig``), so the eval suite can
measure what each is worth: ``bare`` is a one-paragraph instruction, ``contract`` adds the
rules and how answers are judged, ``full`` adds the Triton guide, the target's facts, worked
patterns, the helper library and diagnosing feedback. Finer variants are named from a base
with parts added or removed: ``full-patterns``, ``contract+guide``.

Target facts come as a plain dict (see ``TargetFacts`` for its keys). With no target the
kernel is checked in Triton's CPU interpreter, and the prompt says so.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kernelwright import pyast
from kernelwright.outcome import Outcome, Roofline, Status
from kernelwright.problem import ProblemError, ProblemInfo, ProblemModule, eval_formula
from kernelwright.prompts import contract, feedback, kwlib, target_feedback

# Bump on any change to a template, the guide, the contract, a pattern or the helpers' docs:
# every run records it, and results from different versions are not comparable.
PROMPT_VERSION = "1.4"

HERE = Path(__file__).resolve().parent
VARIANTS = ("bare", "contract", "full")
PARTS = ("contract", "guide", "target_facts", "patterns", "helpers", "feedback_diagnosis")
DEFAULT_FEEDBACK_BUDGET = 6000
MAX_PATTERNS = 2


class PromptConfig(BaseModel):
    """Which parts of the abstraction the model gets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract: bool = True
    guide: bool = True
    target_facts: bool = True
    patterns: bool = True
    helpers: bool = True
    feedback_diagnosis: bool = True

    @classmethod
    def from_variant(cls, name: str) -> PromptConfig:
        """``bare``, ``contract``, ``full``, or one of them with ``+part``/``-part`` edits."""
        base, edits = _split_variant(name)
        if base not in VARIANTS:
            raise ValueError(
                f"unknown prompt variant {name!r}: use one of {', '.join(VARIANTS)}, optionally "
                f"with +part/-part edits (parts: {', '.join(PARTS)})"
            )
        on = {
            "bare": set(),
            "contract": {"contract"},
            "full": set(PARTS),
        }[base]
        for sign, part in edits:
            if part not in PARTS:
                raise ValueError(
                    f"unknown prompt part {part!r} in {name!r}; parts: {', '.join(PARTS)}"
                )
            on = on | {part} if sign == "+" else on - {part}
        return cls(**{p: p in on for p in PARTS})

    @property
    def label(self) -> str:
        """The shortest variant name that gives this config (round-trips via from_variant)."""
        on = {p for p in PARTS if getattr(self, p)}
        best = None
        for base in VARIANTS:
            base_on = set(PromptConfig.from_variant(base).parts_on())
            label = base + "".join(f"+{p}" for p in PARTS if p in on - base_on)
            label += "".join(f"-{p}" for p in PARTS if p in base_on - on)
            if best is None or len(label) < len(best):
                best = label
        return best

    def parts_on(self) -> list[str]:
        return [p for p in PARTS if getattr(self, p)]


def _split_variant(name: str) -> tuple[str, list[tuple[str, str]]]:
    name = name.strip()
    cut = min([i for i in (name.find("+"), name.find("-")) if i >= 0], default=len(name))
    base, rest = name[:cut], name[cut:]
    edits: list[tuple[str, str]] = []
    while rest:
        sign, rest = rest[0], rest[1:]
        nxt = min([i for i in (rest.find("+"), rest.find("-")) if i >= 0], default=len(rest))
        edits.append((sign, rest[:nxt]))
        rest = rest[nxt:]
    return base, edits


def as_config(config: PromptConfig | str) -> PromptConfig:
    return config if isinstance(config, PromptConfig) else PromptConfig.from_variant(config)


# ---------------------------------------------------------------------------------------
# Target facts
# ---------------------------------------------------------------------------------------


class Baseline(BaseModel):
    eager_ms: float | None = None
    compiled_ms: float | None = None


class TargetFacts(BaseModel):
    """The target dict's keys. All but ``name`` are optional; unknown keys are ignored.

    name                device name, e.g. "NVIDIA H100 80GB HBM3"
    arch                e.g. "sm_90"
    bandwidth_gbs       peak device-memory bandwidth, GB/s
    tflops              dense peak TFLOP/s per dtype: {"fp32": 67, "tf32": 495, "bf16": 989, ...}
    sms                 streaming multiprocessors (CUs on AMD)
    smem_per_sm_kb      shared memory per SM, KiB
    l2_mb               L2 cache, MiB
    tensor_core_shapes  the MMA instruction shapes, in words
    smem_per_block_kb   the most shared memory one block may use, KiB
    warp_size           threads per warp (64 per wavefront on AMD)
    max_regs_per_thread registers one thread may use before it spills
    max_warps_per_sm    resident warps (wavefronts) per SM (CU)
    compiled_ahead      the check compiles for this chip (kernelwright.hardware.TARGETS) and
                        reports registers, spills and occupancy; values run on this machine
    shape               the shape set the roofline and baselines below refer to (e.g. "bench")
    roofline            {bytes, flops, bound_ms, bound_by} for this problem at that shape set
    baseline            {eager_ms, compiled_ms} at that shape set, when measured
    """

    model_config = ConfigDict(extra="ignore")

    name: str
    arch: str | None = None
    bandwidth_gbs: float | None = None
    tflops: dict[str, float] = Field(default_factory=dict)
    sms: int | None = None
    smem_per_sm_kb: float | None = None
    l2_mb: float | None = None
    tensor_core_shapes: str | None = None
    smem_per_block_kb: float | None = None
    warp_size: int | None = None
    max_regs_per_thread: int | None = None
    max_warps_per_sm: int | None = None
    compiled_ahead: bool = False  # a chip the check compiles for but does not run on
    shape: str | None = None
    roofline: Roofline | None = None
    baseline: Baseline | None = None


def _target(target: dict[str, Any] | None) -> TargetFacts | None:
    if target is None:
        return None
    try:
        return TargetFacts.model_validate(target)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"bad target facts at {where}: {first['msg']}") from None


# ---------------------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------------------

# Pattern file -> tag words that call for it, most specific first; a problem gets the first
# MAX_PATTERNS patterns whose words meet its tags (or, without tags, its name and source).
PATTERN_TAGS: dict[str, tuple[str, ...]] = {
    "flash_attention": ("attention", "flash", "decode", "kv-cache", "kvcache"),
    "matmul_epilogue": (
        "matmul",
        "gemm",
        "linear",
        "mlp",
        "bmm",
        "batched",
        "quantization",
        "dequant",
        "conv",
    ),  # fmt: skip
    "gather_scatter": ("gather", "scatter", "embedding", "index", "routing", "moe", "topk"),
    "row_softmax": (
        "softmax",
        "reduction",
        "normalization",
        "norm",
        "layernorm",
        "rmsnorm",
        "argmax",
        "scan",
        "cumsum",
    ),  # fmt: skip
    "elementwise_epilogue": (
        "elementwise",
        "activation",
        "pointwise",
        "positional-encoding",
        "rotary",
        "memory",
        "transpose",
        "fusion",
    ),  # fmt: skip
}
# Source words that stand in for tags when a problem has none (KernelBench files).
SOURCE_WORDS: dict[str, tuple[str, ...]] = {
    "flash_attention": ("scaled_dot_product_attention", "attention"),
    "matmul_epilogue": ("matmul", "nn.Linear", "torch.bmm", " @ ", "F.linear", "Conv"),
    "gather_scatter": ("Embedding", "gather", "scatter", "index_select", "index_add"),
    "row_softmax": ("softmax", "LayerNorm", "norm", ".sum(", ".mean(", ".max(", "cumsum"),
}


# Lint pragmas in pattern files are for ruff, not for the model.
_PRAGMA = re.compile(r"[ \t]+# (?:fmt: skip|noqa\b[^\n]*)$", re.M)


@functools.cache
def pattern_source(name: str) -> str:
    text = (HERE / "patterns" / f"{name}.py").read_text(encoding="utf-8")
    return _PRAGMA.sub("", text).strip()


def reference_source(info: ProblemInfo) -> str:
    """The problem file as the model sees it: without the KERNELWRIGHT metadata assignment,
    whose contents the prompt states in words."""
    lines = info.source.splitlines()
    for node in pyast.parse(info.source).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "KERNELWRIGHT"
        ):
            del lines[node.lineno - 1 : node.end_lineno]
            break
    return re.sub(r"\n{3,}", "\n\n\n", "\n".join(lines)).strip()


def pattern_names() -> list[str]:
    return list(PATTERN_TAGS)


def select_patterns(info: ProblemInfo) -> list[str]:
    tags = {t.lower() for t in info.meta.tags}
    chosen = [p for p, words in PATTERN_TAGS.items() if tags & set(words)]
    if not chosen:
        text = f"{info.name}\n{info.source}"
        chosen = [p for p, words in SOURCE_WORDS.items() if any(w in text for w in words)]
    return chosen[:MAX_PATTERNS] or ["elementwise_epilogue"]


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(si=_si, ms=_ms, num=_numfmt)
    return env


def _si(value: float | int | None, unit: str) -> str:
    if value is None:
        return "unknown"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _ms(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.4g} ms"


def _numfmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@functools.cache
def _guide() -> str:
    return (HERE / "guide.md").read_text(encoding="utf-8").strip()


def render_system(config: PromptConfig | str, target: dict[str, Any] | None) -> str:
    config = as_config(config)
    return (
        _env()
        .get_template("system.j2")
        .render(
            config=config,
            version=PROMPT_VERSION,
            guide=_guide(),
            rules=contract.REJECTED,
            allowed=contract.ALLOWED_TORCH,
            judged=contract.judged(),
            helpers=kwlib.helper_docs(),
            device=_target(target),
        )
        .strip()
    )


def render_problem(
    info: ProblemInfo,
    pm: ProblemModule | None,
    config: PromptConfig | str,
    target: dict[str, Any] | None,
) -> str:
    config = as_config(config)
    facts = _target(target)
    dtype = info.meta.dtype or "float32"
    tol = info.tolerance(dtype)
    return (
        _env()
        .get_template("problem.j2")
        .render(
            config=config,
            info=info,
            source=reference_source(info),
            sizes=_sizes(info, pm),
            shape_sets=_shape_sets(info),
            dtype=dtype,
            tol=tol,
            target=facts,
            work=_work(info, facts),
            patterns=[(p, pattern_source(p)) for p in select_patterns(info)]
            if config.patterns
            else [],
        )
        .strip()
    )


def _sizes(info: ProblemInfo, pm: ProblemModule | None) -> dict[str, Any]:
    """What the problem's sizes are: from an executed module when given, else the constants."""
    if pm is None:
        return {"shape": None, "constants": info.constants, "init": None, "inputs": None}
    out: dict[str, Any] = {"shape": pm.shape, "constants": pm.constants, "init": None}
    try:
        out["init"] = [_describe(a) for a in pm.init_inputs()]
        out["inputs"] = [_describe(a) for a in pm.inputs(seed=0, device="meta").args]
    except (ProblemError, RuntimeError, NotImplementedError):
        out["inputs"] = None  # inputs that cannot be built on the meta device: constants only
    return out


def _describe(value: Any) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        dims = ", ".join(str(d) for d in value.shape)
        return f"{str(value.dtype).removeprefix('torch.')}[{dims}]"
    return repr(value)


def _shape_sets(info: ProblemInfo) -> list[tuple[str, str]]:
    out = []
    for name in info.shape_names:
        overrides = info.meta.shapes.get(name)
        if overrides is None:
            text = "the constants scaled down for the CPU interpreter"
        else:
            text = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the module constants"
        out.append((name, text))
    return out


def _work(info: ProblemInfo, facts: TargetFacts | None) -> dict[str, Any]:
    """Bytes and flops of the timed shape set, from the target's roofline or the metadata."""
    shape = (facts.shape if facts else None) or ("bench" if "bench" in info.meta.shapes else None)
    roof = facts.roofline if facts and facts.roofline else Roofline()
    constants = {**info.constants, **info.meta.shapes.get(shape or "", {})}
    try:
        nbytes = roof.bytes if roof.bytes is not None else eval_formula(info.meta.bytes, constants)
        flops = roof.flops if roof.flops is not None else eval_formula(info.meta.flops, constants)
    except ProblemError:
        nbytes = flops = None
    return {
        "shape": shape or "default",
        "bytes": nbytes,
        "flops": flops,
        "bound_ms": roof.bound_ms,
        "bound_by": roof.bound_by,
    }


def render_feedback(
    outcome: Outcome,
    code: str | None,
    config: PromptConfig | str,
    budget_chars: int = DEFAULT_FEEDBACK_BUDGET,
) -> str:
    """What the model reads after an attempt, within ``budget_chars`` characters.

    Long blobs (tracebacks, captured output) are cut from the middle to fit the budget.
    """
    config = as_config(config)
    ctx = _feedback_context(outcome, code or "", config)
    template = _env().get_template("feedback.j2")
    blobs = {k: v.strip() for k, v in ctx["blobs"].items()}
    present = [k for k, v in blobs.items() if v]
    # Fences and headings around each blob: what the template adds when a blob is present.
    fixed = template.render(**{**ctx, "blobs": dict.fromkeys(blobs, "x")}).strip()
    room = max(0, budget_chars - len(fixed))
    for i, key in enumerate(sorted(present, key=lambda k: len(blobs[k]))):
        blobs[key] = feedback.cut_middle(blobs[key], room // (len(present) - i))
        room -= len(blobs[key])  # a short blob leaves its unused share to the longer ones
    ctx["blobs"] = blobs
    text = template.render(**ctx).strip()
    return feedback.cut_middle(text, budget_chars)


# The sandbox writes each candidate into a fresh scratch folder; named by that folder, the same
# attempt would read differently on every run, and a re-run or a resumed run would ask the
# model another question (a cache miss, and possibly another trajectory).
_SCRATCH_CANDIDATE = re.compile(r"[^\s\"']*/candidate\.py\b")


def _stable_paths(text: str) -> str:
    return _SCRATCH_CANDIDATE.sub("candidate.py", text)


def _feedback_context(outcome: Outcome, code: str, config: PromptConfig) -> dict[str, Any]:
    details = outcome.details or {}
    ctx: dict[str, Any] = {
        "config": config,
        "outcome": outcome,
        "status": outcome.status.value,
        "failed": outcome.failed_checks(),
        "error": None,
        "mismatch": None,
        "rule": None,
        "timing": outcome.timing,
        "roofline": outcome.roofline,
        "interpreter_gap": details.get("interpreter_gap"),
        "target_findings": [],
        "traffic": None,
        "blobs": {"traceback": "", "output": _stable_paths(outcome.output or "")},
    }
    error_statuses = (Status.compile_error, Status.runtime_error, Status.crashed)
    traceback = _stable_paths(details.get("traceback") or "")
    if outcome.status in error_statuses or traceback:
        ctx["blobs"]["traceback"] = traceback
    if not config.feedback_diagnosis:
        return ctx
    ctx["target_findings"] = target_feedback.diagnose_targets(outcome.targets)
    ctx["traffic"] = target_feedback.traffic_finding(outcome.traffic)
    if outcome.status in error_statuses:
        text = traceback or outcome.message
        diag = feedback.diagnose_compile_error(f"{text}\n{outcome.output or ''}", code)
        stored = details.get("compile") or {}
        ctx["error"] = {**diag, **{k: v for k, v in stored.items() if v is not None}}
        if ctx["error"].get("line") and not stored.get("source_line"):
            lines = code.splitlines()
            line = ctx["error"]["line"]
            if 0 < line <= len(lines):
                ctx["error"]["source_line"] = lines[line - 1].strip()
    if outcome.status is Status.incorrect and details.get("mismatch"):
        mismatch = details["mismatch"]
        ctx["mismatch"] = mismatch[0] if isinstance(mismatch, list) else mismatch
    if outcome.status is Status.rejected:
        said = " ".join(
            [str(details.get("rule") or "")] + [f"{c.name} {c.detail}" for c in ctx["failed"]]
        )
        ctx["rule"] = contract.rule_for(f"{said} {outcome.message}")
    return ctx
