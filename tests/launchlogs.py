"""Launch logs written by hand, for the kernel-list tests (CPU and GPU): one forward of a
``ROWS x COLS`` float32 problem, its input as buffer 0 and its output as buffer 1."""

from __future__ import annotations

from kernelwright.sandbox.launchlog import Buffer, Const, HostOp, Launch, LaunchLog, TensorRef

ROWS, COLS = 64, 4096
OUT_BYTES = ROWS * COLS * 4


def ref(buffer: int, shape=(ROWS, COLS), strides=(COLS, 1), dtype="float32") -> TensorRef:
    return TensorRef(buffer=buffer, dtype=dtype, offset=0, shape=list(shape), strides=list(strides))


def launch(kernel: str, *buffers: int) -> Launch:
    return Launch(
        kernel=kernel,
        grid=[ROWS, 1, 1],
        params={f"p{i}": ref(b) for i, b in enumerate(buffers)},
        constexprs=[],
        options={"num_warps": Const(type="int", value=4)},
    )


def host(op: str, args: list, outs: list) -> HostOp:
    return HostOp(op=op, args=args, kwargs={}, outs=outs)


def log(*steps, extra_buffers: int = 0) -> LaunchLog:
    """Input 0, the output buffer 1 made in forward, and ``extra_buffers`` more made there."""
    buffers = [Buffer(kind="input", input=0, nbytes=OUT_BYTES)]
    buffers += [Buffer(kind="forward", op="aten.empty_like.default", nbytes=OUT_BYTES)]
    buffers += [
        Buffer(kind="forward", op="aten.zeros.default", nbytes=OUT_BYTES)
        for _ in range(extra_buffers)
    ]
    return LaunchLog(buffers=buffers, steps=list(steps), outputs=[ref(1)])


ALLOC = host("aten.empty_like.default", [ref(0)], [ref(1)])
