"""Candidates evaluated on a Ray cluster: one actor per GPU, each holding a warm worker.

Ray places the actors (``num_gpus=1`` each on a GPU cluster, ``num_cpus=1`` each for the
CPU interpreter); the driver hands each candidate to an idle actor. An actor runs one
candidate at a time and owns its GPU alone, so no two timings ever share a device. Inside,
an actor is the local sandbox: a one-worker ``Pool`` on its GPU, with the same backends,
guards and verdicts as ``LocalExecutor``.

An actor that dies (its node lost, its process killed) costs no attempt: its candidate goes
back to the queue and a fresh actor takes the dead one's place. Results return to the
driver, which stays the one writer of the run directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError

import kernelwright
from kernelwright.outcome import Outcome, Status
from kernelwright.problem import ProblemError, read_problem
from kernelwright.sandbox.backends import Limits
from kernelwright.sandbox.executor import EvalRequest
from kernelwright.sandbox.executors import ExecutorError
from kernelwright.sandbox.pool import Job, Pool

# Tries per candidate: a candidate that takes down this many actors is reported as crashed.
MAX_TRIES = 3
# Seconds an actor is given to stop its worker when the executor closes.
CLOSE_TIMEOUT_S = 30.0


class SandboxActor:
    """A Ray actor: one warm sandbox worker on the GPU Ray gave it (or on the CPU)."""

    def __init__(self, sandbox: str, gpu: bool, limits: Limits | None):
        from kernelwright.sandbox.isolation import select_backend

        # Ray hides every other GPU from this process; the worker must see the same one,
        # named by its index on the node.
        gpu_ids = ray.get_gpu_ids() if gpu else []
        device = f"cuda:{gpu_ids[0]}" if gpu_ids else "cpu"
        self.pool: Pool | None = None
        # Kept for ``ready`` to report in one line: raised here, Ray would end the actor
        # with its own traceback and the driver would learn only that the actor died.
        self.failure: str | None = None
        try:
            self.pool = Pool(select_backend(sandbox), [device], limits)
            self.pool.warm()
        except Exception as e:
            self.failure = f"{type(e).__name__}: {e}"
        context = ray.get_runtime_context()
        self.where: dict[str, Any] = {
            "executor": "ray",
            "node": context.get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),
            "host": socket.gethostname(),
            "gpu_index": str(gpu_ids[0]) if gpu_ids else None,
            "actor": context.get_actor_id(),
            "sandbox": self.pool.backend.name if self.pool else None,
        }

    def ready(self) -> dict[str, Any]:
        return {**self.where, "kernelwright": kernelwright.__version__, "failure": self.failure}

    def evaluate(self, job: Job, source: str) -> tuple[str, str]:
        """``("outcome", json)``, or ``("problem_error", message)`` for a broken problem."""
        job = replace(job, problem=self._problem_file(Path(job.problem), source))
        try:
            outcome = self.pool.evaluate(job)
        except ProblemError as e:
            return "problem_error", str(e)
        outcome.env.update(self.where)
        return "outcome", outcome.model_dump_json()

    def _problem_file(self, path: Path, source: str) -> Path:
        """The driver's problem file where this node has it unchanged, else a copy of it.

        Checked before every candidate: a candidate's worker can write its scratch folder,
        and the copy must not carry anything it left there into later verdicts.
        """
        copy = (
            self.pool.slots[0].scratch
            / "problems"
            / hashlib.sha256(source.encode()).hexdigest()[:16]
            / path.name
        )
        for place in (path, copy):
            try:
                if place.read_text(encoding="utf-8") == source:
                    return place
            except (OSError, UnicodeDecodeError):
                continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(source, encoding="utf-8")
        return copy

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


@dataclass
class Member:
    """An actor of the executor, with where it runs (from its ``ready`` answer)."""

    handle: Any
    where: dict[str, Any]


def gpu_mode(device: str | None, resources: dict[str, float]) -> bool:
    """GPU actors when asked for, or by default when the cluster has GPUs."""
    gpus = int(resources.get("GPU", 0))
    if device in (None, "auto"):
        return gpus > 0
    if device == "cpu":
        return False
    if device.startswith("cuda"):
        if gpus == 0:
            raise ExecutorError(f"--device {device}: the Ray cluster has no GPUs")
        return True
    raise ExecutorError(f"--device {device!r}: choose auto, cpu or cuda")


class RayExecutor:
    """The Executor protocol over Ray actors; see the module docstring."""

    def __init__(
        self,
        *,
        ray_address: str | None = None,
        workers: int | None = None,
        sandbox: str = "auto",
        device: str | None = None,
        limits: Limits | None = None,
        max_tries: int = MAX_TRIES,
    ):
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                ray.init(address=ray_address, logging_level="WARNING")
            except (ConnectionError, ValueError, RuntimeError) as e:
                where = ray_address or "a new local cluster"
                raise ExecutorError(f"cannot start Ray on {where}: {e}") from None
        resources = ray.cluster_resources()
        self.gpu = gpu_mode(device, resources)
        self.size = workers or int(resources.get("GPU" if self.gpu else "CPU", 0)) or 1
        options: dict[str, Any] = {"num_cpus": 1, "max_restarts": 0, "max_concurrency": 1}
        if self.gpu:
            options["num_gpus"] = 1
        self._actor_class = ray.remote(SandboxActor).options(**options)
        self._args = (sandbox, self.gpu, limits)
        self.max_tries = max_tries
        self._idle: asyncio.Queue[Member | None] | None = None
        self._starting: set[asyncio.Task] = set()
        self._members: list[Member] = []
        self.busy: dict[str, tuple[Member, EvalRequest]] = {}
        self.requeued = 0
        self.replaced = 0
        self._failure: str | None = None
        self._closed = False

    # --- actors ----------------------------------------------------------------------------

    def _start_actors(self, n: int) -> None:
        if self._idle is None:
            self._idle = asyncio.Queue()
        for _ in range(n):
            task = asyncio.ensure_future(self._start_one())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _start_one(self) -> None:
        handle = self._actor_class.remote(*self._args)
        try:
            where = await handle.ready.remote()
        except asyncio.CancelledError:
            ray.kill(handle)
            raise
        except RayActorError as e:
            self._start_failed(f"a Ray actor failed to start: {first_line(e)}")
            return
        failure = where.pop("failure")
        if failure is None and where.pop("kernelwright") != kernelwright.__version__:
            failure = f"it runs another kernelwright; install {kernelwright.__version__} there"
        if failure is not None:
            ray.kill(handle)
            self._start_failed(f"the sandbox on node {where['host']} failed to start: {failure}")
            return
        sandbox = self._args[0]
        if sandbox == "auto":
            # The first actor up decides "auto" for the whole run; later actors are told.
            self._args = (where["sandbox"], *self._args[1:])
        elif where["sandbox"] != sandbox:
            ray.kill(handle)
            self._start_failed(
                f"the actor on node {where['host']} chose sandbox {where['sandbox']}, while "
                f"this run uses {sandbox}"
            )
            return
        member = Member(handle, where)
        self._members.append(member)
        self._idle.put_nowait(member)

    def _start_failed(self, why: str) -> None:
        # Fewer actors is a slower run; none at all is a run that cannot go on. A start that has
        # ended is still in _starting until its done-callback runs, which can be after this one:
        # counted as starting, the last two failures would each wait for the other (a hang).
        starting = [t for t in self._starting if t is not asyncio.current_task() and not t.done()]
        if not self._members and not starting:
            self._failure = why
            self._idle.put_nowait(None)

    def _replace(self, member: Member) -> None:
        ray.kill(member.handle)
        if self._closed:
            return
        self._members.remove(member)
        self.replaced += 1
        self._start_actors(1)

    async def _take(self) -> Member:
        if self._idle is None:
            self._start_actors(self.size)
        member = await self._idle.get()
        if member is None:
            self._idle.put_nowait(None)  # wake the next waiter with the same news
            raise ExecutorError(self._failure)
        return member

    # --- the Executor protocol -------------------------------------------------------------

    async def evaluate(self, request: EvalRequest) -> Outcome:
        if self._closed:
            raise ExecutorError("the Ray executor is closed")
        # Seeds are drawn once, here: a re-queued candidate is checked on the same inputs.
        job = request.job()
        # The actor's working directory is not the driver's.
        job.problem = Path(job.problem).resolve()
        source = read_problem(job.problem).source
        errors: list[str] = []
        for _ in range(self.max_tries):
            if self._closed:
                raise ExecutorError("the Ray executor was closed while a candidate waited")
            member = await self._take()
            key = member.where["actor"]
            self.busy[key] = (member, request)
            try:
                kind, body = await member.handle.evaluate.remote(job, source)
            except RayActorError as e:
                errors.append(f"on {member.where['host']}: {first_line(e).rstrip('.')}")
                self.requeued += 1
                self._replace(member)
                continue
            except BaseException:
                self._idle.put_nowait(member)
                raise
            finally:
                self.busy.pop(key, None)
            self._idle.put_nowait(member)
            if kind == "problem_error":
                raise ProblemError(body)
            outcome = Outcome.model_validate_json(body)
            outcome.env["requeues"] = len(errors)
            return outcome
        return Outcome(
            status=Status.crashed,
            message=(
                f"The candidate was not evaluated: the Ray actor running it died on each of "
                f"{self.max_tries} tries (last: {errors[-1]}). A candidate that exhausts the "
                "host's memory can do this."
            ),
            env={"executor": "ray", "requeues": len(errors)},
            details={"actor_deaths": errors},
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in list(self._starting):
            task.cancel()
        members, self._members = self._members, []
        closing = [m.handle.close.remote() for m in members]
        if closing:
            await asyncio.to_thread(
                ray.wait, closing, num_returns=len(closing), timeout=CLOSE_TIMEOUT_S
            )
        for m in members:
            ray.kill(m.handle)
        if self._owns_ray:
            ray.shutdown()

    async def __aenter__(self) -> RayExecutor:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


def first_line(error: BaseException) -> str:
    """Ray's errors carry whole tracebacks; a person needs the line that says what happened."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
