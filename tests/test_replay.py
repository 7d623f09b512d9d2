"""The launch log's rules, without a worker: what the replay refuses (the kernel extraction's
are in test_kernel_source.py)."""

from __future__ import annotations

import pytest

from kernelwright.sandbox.launchlog import (
    Buffer,
    Const,
    HostOp,
    Launch,
    LaunchLog,
    Seq,
    TensorRef,
    Variant,
    data_program,
    host_reorders,
    one_block,
    output_problems,
    substitute,
)


def _ref(buffer: int) -> TensorRef:
    return TensorRef(buffer=buffer, dtype="float32", offset=0, shape=[4], strides=[1])


def _launch(*buffers: int, scale: float = 1.0) -> Launch:
    params = {f"p{b}": _ref(b) for b in buffers}
    params["scale"] = Const(type="float", value=scale)
    return Launch(kernel="k", grid=[1, 1, 1], params=params, constexprs=[], options={})


def _log(steps, outputs, buffers) -> LaunchLog:
    return LaunchLog(buffers=buffers, steps=steps, outputs=outputs)


INPUT = Buffer(kind="input", input=0, nbytes=16)


def test_an_output_allocated_and_passed_to_a_kernel_is_written_by_one():
    made = HostOp(op="aten.empty_like.default", args=[_ref(0)], kwargs={}, outs=[_ref(1)])
    buffers = [INPUT, Buffer(kind="forward", op=made.op, nbytes=16)]
    assert output_problems(_log([made, _launch(0, 1)], [_ref(1)], buffers)) == []


def test_a_log_runs_each_other_config_of_its_autotuned_launches_in_turn():
    a, b = _launch(0, scale=1.0), _launch(0, scale=2.0)
    a.variants = [
        Variant(
            config=f"BLOCK={n}",
            grid=[n, 1, 1],
            params={"scale": Const(type="float", value=n)},
            options={},
        )
        for n in (3, 4, 5)
    ]
    b.variants = a.variants[:2]
    a.tuner = b.tuner = 0  # one autotuner launched twice: its launches take a config together
    c = _launch(0, scale=3.0)
    c.variants, c.tuner = a.variants[:1], 1  # another autotuner: its configs in turn, apart
    log = _log([a, b, c], [_ref(0)], [INPUT])
    assert log.variants() == [(0, 0), (0, 1), (0, 2), (1, 0)]
    third, taken = log.variant(0, 2)
    assert [s.grid[0] for s in third.launches] == [5, 3, 1]  # each list wraps at its length
    assert [s.params["scale"].value for s in third.launches] == [5, 3, 3.0]
    assert taken == ["k BLOCK=5", "k BLOCK=3"]
    assert all(not s.variants for s in third.launches[:2]) and a.variants  # the log unchanged


def test_outputs_no_kernel_wrote_are_named():
    copy = HostOp(op="aten.clone.default", args=[_ref(0)], kwargs={}, outs=[_ref(1)])
    empty = HostOp(op="aten.empty.memory_format", args=[], kwargs={}, outs=[_ref(2)])
    buffers = [
        INPUT,
        Buffer(kind="forward", op=copy.op, nbytes=16),
        Buffer(kind="forward", op=empty.op, nbytes=16),
    ]
    # A host copy of the input, launched on afterwards, is still a host copy.
    problems = output_problems(_log([copy, empty, _launch(1)], [_ref(1)], buffers))
    assert "data a host op copied in" in problems[0]
    problems = output_problems(_log([copy, empty, _launch(1)], [_ref(2)], buffers))
    assert "never passed to a Triton kernel" in problems[0]
    problems = output_problems(_log([_launch(0)], [_ref(0)], buffers))
    assert "(a view of) an input" in problems[0]


def test_a_host_copy_of_kernel_data_is_not_written_by_a_kernel():
    # An identity kernel and a host copy (a transpose's .t().contiguous(), a gather's row
    # copy_) would otherwise do a copy or gather problem's whole job.
    empty = HostOp(op="aten.empty.memory_format", args=[], kwargs={}, outs=[_ref(1)])
    copy = HostOp(op="aten.clone.default", args=[_ref(1)], kwargs={}, outs=[_ref(2)])
    out = HostOp(op="aten.empty.memory_format", args=[], kwargs={}, outs=[_ref(3)])
    into = HostOp(op="aten.copy_.default", args=[_ref(3), _ref(1)], kwargs={}, outs=[_ref(3)])
    buffers = [INPUT, Buffer(kind="forward", op=empty.op, nbytes=16)]
    buffers.append(Buffer(kind="forward", op=copy.op, nbytes=16))
    buffers.append(Buffer(kind="forward", op=out.op, nbytes=16))
    steps = [empty, _launch(0, 1), copy, out, _launch(3), into]
    assert "a copy of what a kernel wrote" in output_problems(_log(steps, [_ref(2)], buffers))[0]
    assert "a copy of what a kernel wrote" in output_problems(_log(steps, [_ref(3)], buffers))[0]
    assert output_problems(_log(steps, [_ref(1)], buffers)) == []


def test_a_copy_between_two_views_of_one_buffer_is_a_host_copy():
    # An identity kernel into one half of a buffer, then a host copy_ of that half, transposed,
    # into the other half: the same buffer on both sides of the copy still moved the data.
    empty = HostOp(op="aten.empty.memory_format", args=[], kwargs={}, outs=[_ref(1)])
    back = TensorRef(buffer=1, dtype="float32", offset=4, shape=[2, 2], strides=[1, 2])
    front = TensorRef(buffer=1, dtype="float32", offset=0, shape=[2, 2], strides=[2, 1])
    into = HostOp(op="aten.copy_.default", args=[front, back], kwargs={}, outs=[front])
    buffers = [INPUT, Buffer(kind="forward", op=empty.op, nbytes=32)]
    problems = output_problems(_log([empty, _launch(0, 1), into], [front], buffers))
    assert "a copy of what a kernel wrote" in problems[0]
    # An in-place view op (written argument only) moves no data.
    wider = TensorRef(buffer=1, dtype="float32", offset=0, shape=[1, 4], strides=[4, 1])
    grow = HostOp(
        op="aten.unsqueeze_.default",
        args=[_ref(1), Const(type="int", value=0)],
        kwargs={},
        outs=[wider],
    )
    assert output_problems(_log([empty, _launch(0, 1), grow], [wider], buffers)) == []


def _view(shape, strides, buffer=0, offset=0) -> TensorRef:
    return TensorRef(buffer=buffer, dtype="float32", offset=offset, shape=shape, strides=strides)


def _copy(dst: TensorRef, src: TensorRef) -> HostOp:
    return HostOp(op="aten.copy_.default", args=[dst, src], kwargs={}, outs=[dst])


EMPTY = HostOp(op="aten.empty.memory_format", args=[], kwargs={}, outs=[_ref(1)])
OUT = [INPUT, Buffer(kind="forward", op=EMPTY.op, nbytes=16)]


def test_host_copies_relocate_one_block_of_memory():
    assert one_block(_view([3, 4], [4, 1]))
    assert one_block(_view([3, 1, 4], [4, 99, 1]))  # a size-1 axis has any stride
    assert not one_block(_view([3, 2], [4, 1]))  # a slice of columns: gaps between rows
    assert not one_block(_view([4, 3], [1, 4]))  # a transpose
    assert not one_block(_view([3, 4], [0, 1]))  # a broadcast
    transposed = _view([2, 2], [1, 2])
    copy = HostOp(op="aten.clone.default", args=[transposed], kwargs={}, outs=[_ref(1)])
    assert "not one block" in host_reorders(_log([copy, _launch(1)], [_ref(1)], OUT))[0]
    into = _copy(_view([2, 2], [1, 2], buffer=1), _view([2, 2], [2, 1]))
    assert "not one block" in host_reorders(_log([EMPTY, into], [_ref(1)], OUT))[0]
    # One copy per column: each a strided selection.
    columns = [_copy(_view([2], [1], 1, 2 * j), _view([2], [2], 0, j)) for j in (0, 1)]
    assert "not one block" in host_reorders(_log([EMPTY, *columns], [_ref(1)], OUT))[0]
    plain = HostOp(op="aten.clone.default", args=[_ref(0)], kwargs={}, outs=[_ref(1)])
    assert host_reorders(_log([plain, _launch(1)], [_ref(1)], OUT)) == []


def test_blocks_copied_from_one_buffer_keep_their_order():
    # The rows of a 2x2 input copied into a new buffer in reverse: a flip, block by block.
    flip = [_copy(_view([2], [1], 1, 2 - 2 * i), _view([2], [1], 0, 2 * i)) for i in (0, 1)]
    assert "another order" in host_reorders(_log([EMPTY, *flip], [_ref(1)], OUT))[0]
    # The same through a scratch buffer per row: still the input's rows.
    steps = [EMPTY]
    for i in (0, 1):
        scratch = _view([2], [1], 2 + i)
        steps.append(
            HostOp(
                op="aten.clone.default", args=[_view([2], [1], 0, 2 * i)], kwargs={}, outs=[scratch]
            )
        )
        steps.append(_copy(_view([2], [1], 1, 2 - 2 * i), scratch))
    scratch_buffers = [Buffer(kind="forward", op="aten.clone.default", nbytes=8)] * 2
    assert "another order" in host_reorders(_log(steps, [_ref(1)], OUT + scratch_buffers))[0]
    # Rows copied one by one, in any sequence, to where they were: no reordering.
    rows = [_copy(_view([2], [1], 1, 2 * i), _view([2], [1], 0, 2 * i)) for i in (1, 0)]
    assert host_reorders(_log([EMPTY, *rows], [_ref(1)], OUT)) == []


def test_any_host_op_that_writes_tensor_data_moves_data():
    """fill_ with a 0-d tensor moves one element as copy_ does: a 2x2 transpose done by one
    fill_ per element into a buffer a no-op kernel took is a host reorder and a host-written
    output (an attacker's, at 13,000 elements on transpose_copy, was correct); fill_ with a
    number is a constant."""

    def fill(dst, value) -> HostOp:
        return HostOp(op="aten.fill_.Tensor", args=[dst, value], kwargs={}, outs=[dst])

    moves = [
        fill(_view([], [], 1, 2 * j + i), _view([], [], 0, 2 * i + j))
        for i in (0, 1)
        for j in (0, 1)
    ]
    steps = [EMPTY, _launch(1), *moves]
    assert "another order" in host_reorders(_log(steps, [_ref(1)], OUT))[0]
    assert "data a host op copied in" in output_problems(_log(steps, [_ref(1)], OUT))[0]
    zero = HostOp(
        op="aten.fill_.Scalar",
        args=[_ref(1), Const(type="float", value=0.0)],
        kwargs={},
        outs=[_ref(1)],
    )
    assert output_problems(_log([EMPTY, zero, _launch(0, 1)], [_ref(1)], OUT)) == []
    assert host_reorders(_log([EMPTY, zero, _launch(0, 1)], [_ref(1)], OUT)) == []


def test_a_python_loop_over_elements_is_counted_from_the_log():
    """The loop rule is counted in the parent, from the log the replay would repeat: the
    candidate's own counters are in reach of candidate code (raising the guards' `suspended`
    hid 13,000 fill_ ops from them)."""
    from kernelwright.sandbox.judge import log_refusal

    zero = HostOp(
        op="aten.fill_.Scalar", args=[_ref(1), Const(type="float", value=0.0)], kwargs={}, outs=[]
    )
    loop = _log([EMPTY, _launch(1), *[zero] * 1100], [_ref(1)], OUT)
    check, detail, status, _ = log_refusal([loop])
    assert check == "host ops per launch" and status.value == "rejected"
    assert "aten.fill_ x1100" in detail and "a Python loop over elements" in detail
    per_row = _log([EMPTY, *[zero, _launch(1)] * 1100], [_ref(1)], OUT)  # a launch per row
    assert log_refusal([per_row]) is None


def test_a_kernel_is_handed_only_what_a_compiled_kernel_takes():
    # Triton's interpreter gives a constexpr argument, and a list, to the body as they are:
    # torch tensors there let the body compute with torch.
    from kernelwright.sandbox.launch_signature import foreign_argument

    step = _launch(0, 1)
    assert foreign_argument(step, {"p0", "p1"}) is None
    assert "a tensor for a constexpr parameter" in foreign_argument(step, {"p0"})
    step.params["p1"] = Seq(items=[_ref(0), _ref(1)])
    assert "p1 was passed a list" in foreign_argument(step, {"p0", "p1"})
    step = _launch(0)
    step.options["num_warps"] = Const(type="dtype", value="float32")
    assert "num_warps was passed a dtype" in foreign_argument(step, {"p0"})


def test_a_tuple_argument_is_taken_and_compiled_leaf_by_leaf_as_the_launcher_does(tmp_path):
    # Triton 3.x compiles a tuple argument leaf by leaf: tensors in it become pointers, an int
    # equal to 1 in it is folded (whatever do_not_specialize says), each leaf is specialised.
    import torch
    from triton._utils import find_paths_if
    from triton.backends.compiler import BaseBackend
    from triton.runtime.jit import JITFunction, native_specialize_impl

    from kernelwright.sandbox import aot
    from kernelwright.sandbox.launch_signature import foreign_argument, record

    (tmp_path / "k.py").write_text(
        "import triton.language as tl\ndef k(ptrs, dims, BLOCK: tl.constexpr):\n    pass\n"
    )
    import importlib.util

    spec = importlib.util.spec_from_file_location("k", tmp_path / "k.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    jit = JITFunction(module.k, do_not_specialize=["dims"])

    half = TensorRef(buffer=1, dtype="float16", offset=1, shape=[3], strides=[1])
    ints = [Const(type="int", value=v) for v in (1, 32, 7, 2**40)]
    inner = Seq(items=ints[2:], tuple=True)
    dims = Seq(items=[*ints[:2], inner, Const(type="float", value=0.5)], tuple=True)
    block = Seq(items=[Const(type="int", value=64), Const(type="int", value=32)], tuple=True)
    step = Launch(
        kernel="k",
        grid=[1, 1, 1],
        params={"ptrs": Seq(items=[_ref(0), half], tuple=True), "dims": dims, "BLOCK": block},
        constexprs=["BLOCK"],
        options={},
    )
    assert foreign_argument(step, {"ptrs", "dims"}) is None
    held = "ptrs was passed a tuple holding a tensor for a constexpr parameter"
    assert held in foreign_argument(step, {"dims"})
    listed = step.model_copy(deep=True)
    listed.params["dims"].items[2].tuple = False
    assert "a tuple holding a list" in foreign_argument(listed, {"ptrs", "dims"})

    sig, constexprs, attrs = aot.signature(jit, record(step))
    values = ((torch.empty(4), torch.empty(4, dtype=torch.float16)[1:]), (1, 32, (7, 2**40), 0.5))
    theirs = [native_specialize_impl(BaseBackend, v, False, False, True) for v in values]
    assert sig == {"ptrs": theirs[0][0], "dims": theirs[1][0], "BLOCK": "constexpr"}
    assert constexprs == {(1, 0): 1, "BLOCK": (64, 32)}
    divisible = find_paths_if([specs for _, specs in theirs], lambda _, x: x == "D")
    assert set(attrs) == set(divisible)

    # The replay hands the interpreter the leaves the compiled kernel gets.
    import triton.language as tl

    from kernelwright.sandbox.replay import _launched

    one, n, (seven, big), half = _launched(dims, values[1], fold_one=True)
    assert isinstance(one, tl.constexpr) and one.value == 1
    assert [str(v.dtype) for v in (n, seven, big, half)] == ["int32", "int32", "int64", "fp32"]


def test_a_programmatic_dependent_launch_is_refused():
    # On a GPU it may start before the launch before it ends: the CPU cannot check that order.
    from kernelwright.sandbox.replay import Replay, ReplayError

    replay = Replay(_log([], [], []), [], {}, "cpu")
    step = _launch()
    step.options["launch_pdl"] = Const(type="bool", value=True)
    with pytest.raises(ReplayError, match="launch without launch_pdl"):
        replay.launch(step, {})
    step.options["launch_pdl"] = Const(type="bool", value=False)
    with pytest.raises(ReplayError, match="not a module-level @triton.jit"):
        replay.launch(step, {})


def test_a_logged_torch_constant_is_only_a_value_of_its_type():
    import torch

    from kernelwright.sandbox.replay import ReplayError, const

    assert const(Const(type="dtype", value="float16"), "cpu") is torch.float16
    with pytest.raises(ReplayError, match="not a torch dtype"):
        const(Const(type="dtype", value="softmax"), "cpu")


def test_an_output_in_another_layout_than_the_contiguous_reference_fails():
    # An identity kernel's copy of the input, returned as a transposed view, holds a transpose's
    # values without a kernel ever moving them.
    import torch

    from kernelwright.sandbox.verify import misplaced

    ref = torch.arange(12.0).reshape(3, 4)
    staged = ref.t().contiguous()
    viewed = staged.as_strided((3, 4), (1, 3))
    assert torch.equal(viewed, ref)
    assert "where the reference is contiguous" in misplaced(viewed, ref)
    assert misplaced(ref.clone(), ref) is None
    assert misplaced(staged, ref.t()) is None  # a strided reference asks for no layout


def _read(value: int) -> HostOp:
    return HostOp(
        op="aten._local_scalar_dense.default",
        args=[_ref(0)],
        kwargs={},
        outs=[Const(type="int", value=value)],
    )


def _grid_launch(grid: int, scale: float = 1.0) -> Launch:
    step = _launch(0, scale=scale)
    step.grid = [grid, 1, 1]
    return step


def test_what_varies_with_data_read_back_is_rederived_from_the_reads():
    logs = [_log([_read(r), _grid_launch(-(-r // 64))], [], [INPUT]) for r in (130, 300)]
    program = data_program(logs)
    assert [(d.op, d.by) for d in program.values()] == [("cdiv", 64)]
    step = substitute(logs[0].steps[1], 1, program, [1000])
    assert step.grid == [16, 1, 1]


def test_a_value_read_back_twice_is_derived_from_the_read_that_follows_it():
    # Two experts' token counts, one launch per expert sized by its count: equal on the first
    # input, so the second grid is also the first read's value there, but not on the next.
    logs = [
        _log([_read(a), _read(b), _grid_launch(a), _grid_launch(b)], [], [INPUT])
        for a, b in ((5, 5), (3, 7))
    ]
    program = data_program(logs)
    assert [d.read for d in program.values()] == [0, 1]
    assert substitute(logs[0].steps[3], 3, program, [2, 9]).grid == [9, 1, 1]


def test_a_view_or_descriptor_sized_by_a_value_read_back_is_resized_by_the_replay():
    # A kernel handed the first `count` rows (count read back): the path to the view's size
    # (and to a descriptor's, and its base's) is walked to the field and the index in it.
    from kernelwright.sandbox.launchlog import Desc

    def launch(count: int) -> Launch:
        rows = TensorRef(buffer=0, dtype="float32", offset=0, shape=[count, 4], strides=[4, 1])
        desc = Desc(base=rows, shape=[count, 4], strides=[4, 1], block_shape=[2, 4])
        params = {"rows": rows, "desc": desc}
        return Launch(kernel="k", grid=[1, 1, 1], params=params, constexprs=[], options={})

    logs = [_log([_read(c), launch(c)], [], [INPUT]) for c in (3, 5)]
    step = substitute(logs[0].steps[1], 1, data_program(logs), [2])
    assert step.params["rows"].shape == [2, 4]
    assert step.params["desc"].shape == [2, 4] and step.params["desc"].base.shape == [2, 4]


def test_a_host_tensor_descriptor_is_recorded_replayed_and_compiled_as_triton_takes_it():
    import torch
    from triton.backends.compiler import BaseBackend
    from triton.runtime.jit import native_specialize_impl
    from triton.tools.tensor_descriptor import TensorDescriptor

    from kernelwright.sandbox.launch_signature import foreign_argument, record
    from kernelwright.sandbox.recorder import Recorder
    from kernelwright.sandbox.replay import Replay, ReplayError

    x = torch.zeros(100, 128, dtype=torch.float16)
    held = TensorDescriptor(x, [100, 120], [128, 1], [16, 64], padding="nan")
    desc = Recorder([x], {}).arg(held)
    assert desc.base.shape == [100, 128] and desc.shape == [100, 120] and desc.padding == "nan"
    step = Launch(kernel="k", grid=[1, 1, 1], params={"d": desc}, constexprs=[], options={})
    assert foreign_argument(step, {"d"}) is None
    assert "a tensor for a constexpr parameter" in foreign_argument(step, set())
    theirs = native_specialize_impl(BaseBackend, held, False, True, True)[0]
    assert record(step)["args"]["d"] == {"kind": "tensordesc", "type": theirs}

    log = _log([], [], [Buffer(kind="input", input=0, nbytes=x.untyped_storage().nbytes())])
    rebuilt = Replay(log, [x], {}, "cpu").value(desc)
    assert isinstance(rebuilt, TensorDescriptor) and rebuilt.base.data_ptr() == x.data_ptr()
    assert (rebuilt.shape, rebuilt.block_shape, rebuilt.padding) == ([100, 120], [16, 64], "nan")
    # A shape past the end of the buffer: a compiled kernel's copies would read past it.
    with pytest.raises(ReplayError, match="past the end of its buffer"):
        Replay(log, [x], {}, "cpu").value(desc.model_copy(update={"shape": [101, 120]}))


def _copy_row(row: int) -> HostOp:
    source = TensorRef(buffer=0, dtype="float32", offset=row * 4, shape=[4], strides=[1])
    return HostOp(op="aten.copy_.default", args=[_ref(1), source], kwargs={}, outs=[_ref(1)])


def test_a_host_copy_placed_by_data_read_back_is_a_gather():
    # Each offset is a value read back times 4 (block arithmetic the replay could re-derive),
    # but a host copy placed by data is the gather itself, whatever kernel copies it on.
    buffers = [INPUT, Buffer(kind="forward", op="aten.empty.memory_format", nbytes=16)]
    logs = [_log([_read(r), _copy_row(r), _launch(1)], [], buffers) for r in (2, 3)]
    with pytest.raises(ValueError, match="a data-dependent copy is a gather or a scatter"):
        data_program(logs)


@pytest.mark.parametrize(
    "second, words",
    [
        (_log([_read(300), _grid_launch(3, scale=2.5)], [], [INPUT]), "not a value it read back"),
        (_log([_read(300), _grid_launch(7)], [], [INPUT]), "not a value it read back"),
        (_log([_read(300), _read(1), _grid_launch(5)], [], [INPUT]), "sequence of host ops"),
    ],
)
def test_answers_computed_on_the_host_cannot_ride_on_read_back_data(second, words):
    first = _log([_read(130), _grid_launch(3)], [], [INPUT])
    with pytest.raises(ValueError, match=words):
        data_program([first, second])


def test_scalars_reach_the_interpreter_as_the_launcher_passes_them(tmp_path, monkeypatch):
    """A float argument as the float32 a compiled kernel takes (the interpreter would pass
    Python's double on); an int equal to 1 as the constant the launcher folds it to, unless the
    kernel says do_not_specialize (read as Triton reads it: a negative index names nothing)."""
    import triton.language as tl

    from kernelwright.sandbox.replay import _as_launched, load_kernels

    monkeypatch.setenv("TRITON_INTERPRET", "1")
    source = (
        "import triton\nimport triton.language as tl\n\n\n"
        '@triton.jit(do_not_specialize=["kept", -1])\n'
        "def k(x_ptr, s, one, kept, two, last):\n    pass\n"
    )
    kernels, _ = load_kernels(source, tmp_path, True)
    values = {
        "x_ptr": object(),
        "s": 1.0000000001,
        "one": 1,
        "kept": 1,
        "two": 2,
        "last": 1,
    }
    consts = {k: Const(type=type(v).__name__, value=v) for k, v in values.items() if k != "x_ptr"}
    params = {"x_ptr": _ref(0), **consts}
    step = Launch(kernel="k", grid=[1, 1, 1], params=params, constexprs=[], options={})
    got = _as_launched(kernels["k"], step, values)
    assert isinstance(got["s"], tl.tensor) and got["s"].dtype == tl.float32
    assert got["s"].handle.data.item() == 1.0  # 1.0000000001 is 1.0 in float32
    assert isinstance(got["one"], tl.constexpr) and got["one"].value == 1
    assert isinstance(got["last"], tl.constexpr)  # -1 is no parameter's index for Triton
    assert got["x_ptr"] is values["x_ptr"]
    for name in ("kept", "two"):  # every other int typed too, as the launcher types it
        assert got[name].dtype == tl.int32 and got[name].handle.data.item() == values[name]


@pytest.mark.parametrize(
    "value",
    [0, 2, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, -(2**31), -(2**31) - 1]
    + [-(2**63), True, False, 0.1, 1e300],
)
def test_every_scalar_reaches_the_interpreter_typed_as_triton_launches_it(value, monkeypatch):
    """The interpreter's own conversion typed an int in [2**31, 2**32) as uint32 data under
    int64 (``a >> 31`` was -1 there, 1 compiled); each scalar is now built at the type Triton's
    launcher gives it (``mangle_type``, its native_specialize_impl), with that type's data."""
    import numpy as np
    import triton.language as tl
    from triton.runtime.interpreter import _get_np_dtype
    from triton.runtime.jit import mangle_type

    from kernelwright.sandbox import replay as replay_module

    # What _as_launched reads of a kernel: Triton's KernelParams.
    param = type("P", (), {"name": "a", "is_constexpr": False, "do_not_specialize": False})
    monkeypatch.setattr(replay_module, "_launcher_params", lambda kernel: [param])
    arg = Const(type=type(value).__name__, value=value)
    step = Launch(kernel="k", grid=[1, 1, 1], params={"a": arg}, constexprs=[], options={})
    got = replay_module._as_launched(None, step, {"a": value})["a"]
    assert got.dtype == tl.str_to_ty(mangle_type(value), None)
    data = got.handle.data
    assert data.dtype == _get_np_dtype(got.dtype)
    if isinstance(value, float):
        assert data.item() == np.float32(value)  # 1e300 is inf, as the launcher packs it
    else:
        assert data.item() == value


@pytest.mark.parametrize("value", [float("-inf"), float("inf"), float("nan")])
def test_a_scalar_that_is_not_finite_travels_as_itself(value):
    # -inf is a max's identity and a fill value: the log goes to a file as JSON and to the
    # replay inside a JSON request, and must come back -inf, never null.
    import json
    import math

    log = _log([_launch(0, scale=value)], [_ref(0)], [INPUT])
    for back in (
        LaunchLog.model_validate_json(log.model_dump_json()),
        LaunchLog.model_validate(json.loads(json.dumps(log.model_dump(mode="json")))),
    ):
        got = back.launches[0].params["scale"].value
        assert got == value or (math.isnan(value) and math.isnan(got))


def test_a_kernel_argument_of_a_subclass_that_redefines_its_reading_is_refused():
    import collections
    import typing

    import numpy as np
    import torch
    from triton.backends.compiler import BaseBackend
    from triton.runtime.jit import native_specialize_impl
    from triton.tools.tensor_descriptor import TensorDescriptor

    from kernelwright.sandbox.recorder import Recorder, Unrecordable

    class Listed(tuple):
        def __new__(cls, held, listed):
            self = super().__new__(cls, held)
            self.listed = listed
            return self

        def __iter__(self):
            return iter(self.listed)

        def __getitem__(self, i):
            return self.listed[i]

        def __len__(self):
            return len(self.listed)

    lying = Listed((1, 1.0), (15400, 1.0))
    # Why: Triton's launcher specialises the tuple it holds (1 folded into the kernel), while
    # iteration, which the log and the interpreter use, lists 15400.
    assert native_specialize_impl(BaseBackend, lying, False, True, True)[1] == (1, None)
    assert [*lying] == [15400, 1.0]
    x = torch.zeros(16, 64)
    rec = Recorder([x], {})
    with pytest.raises(Unrecordable, match="redefines __getitem__, __iter__, __len__"):
        rec.arg(lying)

    class Desc(TensorDescriptor):
        pass

    with pytest.raises(Unrecordable, match="the candidate's own subclass Desc"):
        rec.arg(Desc(x, [16, 64], [64, 1], [16, 64]))

    # What adds nothing to how it is read is taken as before.
    class Plain(tuple):
        pass

    Pair = collections.namedtuple("Pair", "n k")

    class Typed(typing.NamedTuple):
        n: int
        k: float

    for ok in (Plain((3, 2.0)), Pair(3, 2.0), Typed(3, 2.0), (3, 2.0)):
        assert [c.value for c in rec.arg(ok).items] == [3, 2.0]
    assert [c.value for c in rec.arg(x.shape).items] == [16, 64]
    assert rec.arg(TensorDescriptor(x, [16, 64], [64, 1], [16, 64])).shape == [16, 64]

    # A number: the launcher reads the value it holds, the log and the interpreter int(v).
    class Count(int):
        def __new__(cls, count):
            self = super().__new__(cls, 1)
            self.count = count
            return self

        def __int__(self):
            return self.count

        def __index__(self):
            return self.count

    assert native_specialize_impl(BaseBackend, Count(15400), False, True, True) == ("constexpr", 1)
    with pytest.raises(Unrecordable, match="redefines __index__, __int__, __new__"):
        rec.arg(Count(15400))
    with pytest.raises(Unrecordable, match="redefines"):
        rec.arg((3, Count(15400)))

    class Scale(float):
        def __float__(self):
            return 2.0

    with pytest.raises(Unrecordable, match="redefines __float__"):
        rec.arg(Scale(1.0))

    class Plainly(int):
        pass

    assert rec.arg(Plainly(7)).value == 7
    assert rec.arg(np.float64(0.5)).value == 0.5
