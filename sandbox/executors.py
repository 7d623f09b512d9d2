"""Choosing an executor: ``--executor local`` (the warm pool here) or ``ray`` (a Ray cluster).

Every command that evaluates candidates makes its executor here, so the options mean the
same everywhere. Ray is imported only when asked for; it is an optional dependency.
"""

from __future__ import annotations

from kernelwright.sandbox.executor import Executor, LocalExecutor

KINDS = ("local", "ray")


class ExecutorError(RuntimeError):
    """An executor that cannot be made or cannot go on; the message says why, for a person."""


def decide_sandbox(kind: str, sandbox: str) -> str:
    """The sandbox a run uses, decided before it starts so that its config records it (and a
    resumed run keeps it): "auto" becomes the backend this machine runs. On a Ray cluster the
    nodes decide, so "auto" stays. Raises ExecutorError when the sandbox named cannot run."""
    from kernelwright.sandbox.isolation import BackendUnavailable, select_backend

    if kind != "local":
        return sandbox
    try:
        return select_backend(sandbox).name
    except BackendUnavailable as e:
        raise ExecutorError(f"--sandbox {sandbox}: {e}") from None


def make_executor(
    kind: str,
    *,
    ray_address: str | None = None,
    workers: int | None = None,
    sandbox: str = "auto",
    device: str | None = None,
) -> Executor:
    """The executor called ``kind``. Raises ExecutorError with a one-line message, an
    unusable ``sandbox`` included."""
    from kernelwright.sandbox.isolation import BackendUnavailable

    if kind == "local":
        if ray_address is not None:
            raise ExecutorError("--ray-address needs --executor ray")
        try:
            return LocalExecutor(workers=workers, sandbox=sandbox, device=device)
        except BackendUnavailable as e:
            raise ExecutorError(f"--sandbox {sandbox}: {e}") from None
    if kind == "ray":
        from kernelwright.sandbox.isolation import BACKENDS

        if sandbox != "auto" and sandbox not in BACKENDS:
            # Checked here: on the cluster it would surface only as actors failing to start.
            choices = ", ".join(["auto", *BACKENDS])
            raise ExecutorError(f"unknown sandbox {sandbox!r}: choose one of {choices}")
        try:
            from kernelwright.sandbox.ray_executor import RayExecutor
        except ImportError:
            raise ExecutorError(
                "--executor ray needs Ray: pip install 'kernelwright[ray]'"
            ) from None
        return RayExecutor(ray_address=ray_address, workers=workers, sandbox=sandbox, device=device)
    raise ExecutorError(f"--executor {kind!r}: choose one of {', '.join(KINDS)}")
