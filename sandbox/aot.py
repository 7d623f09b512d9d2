"""Ahead-of-time compilation of the candidate's launched kernels for chips not in the machine.

Runs in a process of its own (``python -m kernelwright.sandbox.aot SCRATCH TARGETS``, a zygote
that forks a child per check and target), started through the pool's isolation backend like a
worker, never in the candidate's process: it defines only what ``kernel_source.extract`` lifted
out of the candidate (its ``@triton.jit`` defs and constants), builds each launch's signature
from the launch record, and compiles it with ``triton.compile(ASTSource(...),
target=GPUTarget(...))`` for every requested target.

Protocol (JSON lines): compile process -> {"type": "ready"} once Triton's backends are loaded;
then, per check, parent -> {"type": "compile", "nonce", "source", "launches", "targets",
"front_end"} (``front_end``: only as far as Triton's front end, ``compile_one``);
compile process -> {"type": "kernel", "nonce", "target", "index", "report": KernelCompile} as
each launch record finishes for each target (targets compile side by side), then
{"type": "done", "nonce"}.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kernelwright.hardware import TARGETS, TargetSpec
from kernelwright.outcome import KernelCompile
from kernelwright.sandbox import compiler_report, kernel_source, static_values, ttir
from kernelwright.sandbox.backends import kill_tree

PR_SET_CHILD_SUBREAPER = 36

_NVIDIA_ONLY = {"maxnreg"}
_AMD_ONLY = {"waves_per_eu", "matrix_instr_nonkdim", "kpack"}
_DOT_TYPE = re.compile(r":\s*tensor<(?:\d+x)*(\w+)")


class LaunchError(ValueError):
    """A launch record the compiler cannot repeat (an argument of an unsupported type)."""


def load_kernels(
    source: str, workdir: Path, extracted: kernel_source.Extracted | None = None
) -> tuple[dict[str, Any], kernel_source.Extracted]:
    """Execute the extracted kernels (only defs and constants) and return their JITFunctions;
    ``extracted``: the source's extraction where the pool sent it, else made here."""
    from triton.runtime.jit import JITFunction

    def jit(fn=None, **options):
        # JITFunction itself, not triton.jit: TRITON_INTERPRET in the environment must not
        # turn the kernels into interpreted functions here.
        return JITFunction(fn, **options) if fn else (lambda f: JITFunction(f, **options))

    extracted = extracted or kernel_source.extract(source)
    path = workdir / "kernels.py"
    path.write_text(extracted.text)
    return kernel_source.define(extracted, str(path), jit), extracted


def _default_arg(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"kind": "bool"}
    if isinstance(value, int):
        from kernelwright.sandbox.launch_signature import int_spec

        return int_spec(value)
    if isinstance(value, float):
        return {"kind": "float"}
    return {"kind": "constexpr", "value": value}


def signature(jit, record: dict[str, Any]) -> tuple[dict, dict, dict]:
    """Triton's (signature, constexprs, attrs) for one launch record, specialised as the
    launcher would have: 16-aligned pointers and ints divisible by 16 marked, ints equal to 1
    folded to constants (unless the kernel says do_not_specialize). A parameter annotated with
    anything but tl.constexpr never gets here (``kernel_source``)."""
    import inspect

    args = record["args"]
    sig: dict[str, str] = {}
    constexprs: dict[str, Any] = {}
    attrs: dict[tuple, list] = {}
    for i, p in enumerate(jit.params):
        desc = args.get(p.name)
        if desc is None:
            if p.default is inspect.Parameter.empty:
                raise LaunchError(f"argument {p.name} was not passed")
            desc = _default_arg(p.default)
        kind = desc["kind"]
        if p.is_constexpr or kind in _CONSTANTS:
            if kind not in _CONSTANTS:
                raise LaunchError(f"constexpr {p.name} was passed a {kind}")
            sig[p.name] = "constexpr"
            constexprs[p.name] = _constant(desc)
            continue
        # The launcher specialises a tuple's leaves whatever the kernel's options say.
        leaves = kind == "tuple"
        specialize = leaves or not p.do_not_specialize
        align = leaves or not getattr(p, "do_not_specialize_on_alignment", False)
        sig[p.name] = _leaf(p.name, desc, (i,), (constexprs, attrs), specialize, align)
    return sig, constexprs, attrs


def _leaf(name: str, desc: dict, path: tuple, out: tuple, specialize: bool, align: bool) -> Any:
    """The signature type of one argument (of a tuple: of each leaf, as a tuple), its constant
    and its attributes, put into ``out`` (constexprs, attrs) under its path (a top-level
    constant under its name, as the report's config shows it)."""
    constexprs, attrs = out
    kind = desc["kind"]
    if kind == "tuple":
        items = enumerate(desc["items"])
        return tuple(_leaf(name, d, (*path, j), out, specialize, align) for j, d in items)
    if kind == "tensor":
        if desc["aligned"] and align:
            attrs[path] = [["tt.divisibility", 16]]
        return "*" + desc["dtype"]
    if kind == "int":
        if desc["one"] and specialize:
            constexprs[path if len(path) > 1 else name] = 1
            return "constexpr"
        if desc["div16"] and specialize:
            attrs[path] = [["tt.divisibility", 16]]
        return desc["type"]
    if kind == "tensordesc":
        return desc["type"]
    if kind == "bool":
        return "i1"
    if kind == "float":
        return "fp32"
    if kind in _CONSTANTS and len(path) > 1:  # None, a string, a dtype among a tuple's leaves
        constexprs[path] = _constant(desc)
        return "constexpr"
    raise LaunchError(f"argument {name}: a {desc.get('type', kind)} cannot be compiled")


_CONSTANTS = ("constexpr", "dtype")


def _constant(desc: dict) -> Any:
    if desc["kind"] == "dtype":
        import triton.language as tl

        return tl.dtype(str(desc["value"]))  # its name, "fp16": as the replay does
    return _tuples(desc["value"])


def _tuples(value: Any) -> Any:
    """A constexpr as launched: JSON wrote its tuples as lists."""
    return tuple(map(_tuples, value)) if isinstance(value, list) else value


def _options(record: dict[str, Any], target: TargetSpec) -> dict[str, Any]:
    skip = _AMD_ONLY if target.backend == "cuda" else _NVIDIA_ONLY
    return {k: v for k, v in record.get("options", {}).items() if k not in skip}


def _error(e: BaseException, extracted: kernel_source.Extracted) -> tuple[str, int | None]:
    """The compiler's own message, and the candidate line it points at."""
    text = str(e).strip() or type(e).__name__
    line = None
    # Triton counts from the def of the function it was compiling (its excerpt starts there).
    m = re.match(r"at (\d+):(\d+):", text)
    if m:
        fn = re.search(r"^\s*def (\w+)\(", text, re.M)
        if fn and fn.group(1) in extracted.kernels:
            line = extracted.kernels[fn.group(1)] + int(m.group(1)) - 1
            text = f"at line {line}:{text[m.end() :]}"
        return text[:2000], line
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if frame.filename.endswith("kernels.py"):
            line = frame.lineno
            text = f"at line {line}: {text}"
            break
    return text[:2000], line


def _dot_inputs(ttir: str) -> list[str]:
    """Each tl.dot's operand type and input precision ("f32/ieee"), from the Triton IR: the
    printer leaves out the default precision, ieee."""
    found = set()
    for line in ttir.splitlines():
        if re.search(r"= tt\.dot(_scaled)? ", line):
            ty = _DOT_TYPE.search(line)
            precision = re.search(r"inputPrecision = (\w+)", line)
            found.add(f"{ty.group(1) if ty else '?'}/{precision.group(1) if precision else 'ieee'}")
    return sorted(found)


class _Said:
    text = ""


@contextlib.contextmanager
def _stderr_to(path: Path):
    """What native code writes to fd 2 while the compiler runs, kept for its error message."""
    said = _Said()
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield said
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        lines = path.read_text(errors="replace").splitlines()
        kept = [ln for ln in lines if ln.strip() and "Warning" not in ln and "warn" not in ln]
        said.text = "\n".join(kept)[-1500:]


@contextlib.contextmanager
def _current_target(target) -> Iterator[None]:
    """The chip compiled for as the one Triton's language asks about at compile time
    (``tl.target_info.is_cuda()``, ``cuda_capability_geq``): it asks the machine's driver, which
    here is no GPU's, so a kernel would be compiled as for no chip at all."""
    from triton.language import target_info

    def current_target():
        return target

    current_target.__triton_builtin__ = True
    machine = target_info.current_target
    target_info.current_target = current_target
    try:
        yield
    finally:
        target_info.current_target = machine


def compile_one(
    jit, record: dict, target: TargetSpec, extracted, workdir: Path, front_end: bool = False
) -> KernelCompile:
    """One launch record compiled for one target: the whole way to the chip's binary and the
    report read off it, or with ``front_end`` only as far as Triton's front end (for sm_90,
    whatever ``target`` is), where any body that is not Triton is refused: the evidence a
    verdict needs when no report was asked for, at a fraction of the cost."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    name = record["kernel"]
    report = KernelCompile(kernel=name, line=extracted.kernels.get(name), compiled=False)
    try:
        sig, constexprs, attrs = signature(jit, record)
    except LaunchError as e:
        report.error = str(e)
        return report
    except Exception as e:  # a record this code cannot read: said, never a dead compile
        report.error = f"the launch could not be read for compiling: {type(e).__name__}: {e}"
        return report
    options = _options(record, target)
    # As the record has them (a dtype by its name): the report travels as JSON.
    given = {
        k: record["args"][k].get("value", v) for k, v in constexprs.items() if k in record["args"]
    }
    report.config = {**given, **options}
    statics = static_values.Statics()
    arch = ttir.TARGET if front_end else (target.backend, target.arch, target.warp_size)
    try:
        with (
            _stderr_to(workdir / "compiler-stderr.txt") as said,
            static_values.recording(statics),
            _current_target(GPUTarget(*arch)),
        ):
            if front_end:
                ir_text = ttir.front_end(jit, sig, constexprs, attrs, options).str()
            else:
                kernel = triton.compile(
                    ASTSource(jit, sig, constexprs, attrs),
                    target=GPUTarget(target.backend, target.arch, target.warp_size),
                    options=options,
                )
    except Exception as e:  # the compiler's own error, whatever its class
        report.error, report.error_line = _error(e, extracted)
        # Assemblers (ptxas, the AMD assembler) print the reason and raise a summary.
        if said.text and said.text not in report.error:
            report.error = f"{report.error}\n{said.text}"[-2000:]
        return report
    report.statics = statics.dump()  # held against the interpreter's (static_values.py)
    # Held against the replay's races between threads (lane_races.py).
    ir_text = ir_text if front_end else kernel.asm["ttir"]
    report.handed_over = ttir.handed_over(ir_text)
    report.spread = ttir.spread(ir_text)
    report.returned = ttir.returned(ir_text)
    report.addresses = ttir.addresses(ir_text)
    if front_end:
        report.compiled = True
        return report
    meta = kernel.metadata
    if target.backend == "cuda":
        usage = compiler_report.cuobjdump(kernel.asm["cubin"], "--dump-resource-usage")
        res = compiler_report.nvidia_resources(usage, meta.shared)
        ins = compiler_report.nvidia_instructions(kernel.asm["ptx"], target)
    else:
        res = compiler_report.amd_resources(kernel.asm["amdgcn"], meta.shared)
        ins = compiler_report.amd_instructions(kernel.asm["amdgcn"], target)
    occ = compiler_report.occupancy(target, meta.num_warps, res)
    dots = _dot_inputs(kernel.asm["ttir"])
    report.compiled = True
    report.registers = res.registers
    report.spill_bytes = res.spill_bytes
    report.shared_bytes = res.shared_bytes
    report.num_warps = meta.num_warps
    report.warps_per_sm = occ.warps_per_sm
    report.occupancy_limit = occ.limit
    report.fits = occ.fits
    report.why_not = occ.why_not
    report.calls_dot = bool(dots)
    report.dot_inputs = dots
    report.tensor_core_ops = ins.tensor_core
    report.global_load_bits = ins.global_load_bits
    report.global_store_bits = ins.global_store_bits
    report.async_copy_ops = ins.async_copy
    return report


def compile_each(
    source: str,
    launches: list[dict],
    targets: list[TargetSpec],
    workdir: Path,
    front_end: bool = False,
    extracted: kernel_source.Extracted | None = None,
) -> Iterator[tuple[str, int, KernelCompile]]:
    """Every launch record compiled for every target (``compile_one``), as each finishes:
    (target key, index of the record, report)."""
    try:
        jits, extracted = load_kernels(source, workdir, extracted)
    except Exception as e:
        message, line = _error(e, kernel_source.Extracted(text=""))
        for target in targets:
            for i, r in enumerate(launches):
                report = KernelCompile(
                    kernel=r["kernel"], compiled=False, error=message, error_line=line
                )
                yield target.key, i, report
        return
    for target in targets:
        for i, record in enumerate(launches):
            jit = jits.get(record["kernel"])
            if jit is None:
                refused = extracted.refused.get(record["kernel"])
                why = refused or "it is not a module-level @triton.jit function"
                report = KernelCompile(
                    kernel=record["kernel"],
                    compiled=False,
                    error=f"kernel {record['kernel']} cannot be compiled on its own: {why}",
                    error_line=refused.line if refused else None,
                )
            else:
                report = compile_one(jit, record, target, extracted, workdir, front_end)
            yield target.key, i, report


def compile_for_targets(
    source: str, launches: list[dict], targets: list[TargetSpec], workdir: Path
) -> dict[str, list[KernelCompile]]:
    """Every launch record compiled for every target: target key -> one report per record."""
    out: dict[str, list[KernelCompile]] = {t.key: [] for t in targets}
    for key, _, report in compile_each(source, launches, targets, workdir):
        out[key].append(report)
    return out


def _warm(targets: list[TargetSpec], workdir: Path) -> None:
    """Load each backend's compiler once, before the candidate's launches arrive."""
    source = (
        "import triton\nimport triton.language as tl\n@triton.jit\n"
        "def kernelwright_warm(x):\n    tl.store(x, tl.load(x) + 1)\n"
    )
    record = {
        "kernel": "kernelwright_warm",
        "args": {"x": {"kind": "tensor", "dtype": "fp32", "aligned": True}},
    }
    seen = set()
    for t in targets:
        if t.backend not in seen:
            seen.add(t.backend)
            compile_for_targets(source, [record], [t], workdir)


# Writes to a pipe up to this size are atomic: children compiling side by side never interleave.
PIPE_BUF = 4096


def _send(fd: int, message: dict) -> None:
    line = json.dumps(message)
    report = message.get("report")
    while len(line) >= PIPE_BUF and report and report.get("error"):
        report["error"] = "..." + report["error"][len(report["error"]) // 2 :]
        line = json.dumps(message)
    os.write(fd, (line + "\n").encode())


def _serve_one(msg: dict, target: TargetSpec, scratch: Path, fd: int) -> None:
    """One check's compile for one target, in a child forked for it: a message per kernel."""
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        # Triton's own cache is the child's alone: nothing one candidate compiled (or planted)
        # is found by the next.
        os.environ["TRITON_CACHE_DIR"] = str(Path(tmp) / "triton-cache")
        given = msg.get("extracted")
        each = compile_each(
            msg["source"],
            msg["launches"],
            [target],
            Path(tmp),
            bool(msg.get("front_end")),
            kernel_source.Extracted.load(given) if given else None,
        )
        for key, index, report in each:
            header = {"type": "kernel", "nonce": msg.get("nonce"), "target": key, "index": index}
            _send(fd, {**header, "report": report.model_dump()})


def main() -> None:
    """The compile zygote: Triton's backends loaded and warmed once, then for each check one
    child per target, forked, compiling side by side (a kernel body that runs Python at compile
    time reaches only its own child)."""
    scratch = Path(sys.argv[1])
    fd = os.dup(1)
    # What the compiler prints (warnings, a hostile kernel's output) never reaches the pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ["TRITON_CACHE_DIR"] = str(scratch / "triton-cache")
    warm = [TARGETS[k] for k in sys.argv[2].split(",") if k in TARGETS] if len(sys.argv) > 2 else []
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        _warm(warm, Path(tmp))
    _send(fd, {"type": "ready"})
    requests = os.fdopen(os.dup(0), "r")
    devnull_in = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull_in, 0)  # no child reads the next check's request
    # Orphans of a child's children re-parent here, so one kill_tree finds them all.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    for line in requests:
        msg = json.loads(line)
        if msg.get("type") != "compile":
            continue
        children = []
        # A child's collections then skip the zygote's objects (Triton's and torch's): walking
        # them took a check's compile a third longer, and copied the pages they sit on.
        gc.freeze()
        for key in msg["targets"]:
            pid = os.fork()
            if pid == 0:
                try:
                    requests.close()
                    _serve_one(msg, TARGETS[key], scratch, fd)
                finally:
                    os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        # Nothing a kernel body started at compile time outlives its check.
        kill_tree(os.getpid(), include_root=False)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        _send(fd, {"type": "done", "nonce": msg.get("nonce")})


if __name__ == "__main__":
    main()
