"""The namespace backends, bubblewrap and Docker, and the choice among all backends.

Both start the same worker as the subprocess backend and speak the same JSON lines;
what they add is a view of the machine in which the candidate can reach no network,
write nothing outside its scratch folder, and see no process but its own.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import glob
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from kernelwright.sandbox.backends import (
    Backend,
    PipeHandle,
    SubprocessBackend,
    WorkerDied,
    WorkerHandle,
    WorkerSpec,
    popen_worker,
)

DOCKER_IMAGE_ENV = "KERNELWRIGHT_DOCKER_IMAGE"
DEFAULT_DOCKER_IMAGE = "kernelwright-sandbox:latest"
# The worker code and Python run from the host, bind-mounted read-only; these system
# folders hold what that Python links against (libc, libstdc++, the loader cache).
# Not /sbin: the engine mounts its init there.
HOST_SYSTEM_PATHS = ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache")
# A read-only mount does not stop connect() on a unix socket: the Docker engine's, in
# /run, would hand a candidate the host. bwrap hides these folders under a tmpfs.
RUNTIME_DIRS = ("/run", "/var/run")
_KERNELWRIGHT_PACKAGES = (
    "kernelwright",
    "kernelwright.sandbox",
    "kernelwright.reference_kernels",
    "kernelwright.prompts",
)


class BackendUnavailable(RuntimeError):
    """An explicitly requested backend cannot run here; ``str()`` says what is missing."""


def host_read_only_paths(spec: WorkerSpec) -> list[Path]:
    """What the worker must read from the host: Python, the venv, kernelwright's source.

    Nested paths are dropped (their parent is mounted already) and the rest sorted so a
    mount never hides one made before it.
    """
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    for name in _KERNELWRIGHT_PACKAGES:
        found = importlib.util.find_spec(name)
        if found is not None and found.submodule_search_locations:
            paths.update(Path(p) for p in found.submodule_search_locations)
    paths.update(Path(p) for p in spec.read_only)
    resolved = sorted({p.resolve() for p in paths if p.exists()})
    out: list[Path] = []
    for p in resolved:
        if not any(p.is_relative_to(q) for q in out):
            out.append(p)
    return out


def private_dirs(spec: WorkerSpec) -> list[Path]:
    """The folders that get a fresh empty tmpfs: /tmp, the worker's $HOME and the host's.

    The host user's home may hold credentials; the worker's $HOME is often its scratch
    folder, which is mounted read-write instead.
    """
    scratch = spec.scratch.resolve()
    homes = {Path(spec.env.get("HOME") or "/"), Path.home()}
    dirs = [Path("/tmp")]
    for home in sorted(h.resolve() for h in homes if h.is_absolute()):
        covered = any(home.is_relative_to(d) for d in dirs)
        if home.is_dir() and home != Path("/") and not covered and not home.is_relative_to(scratch):
            dirs.append(home)
    return dirs


def process_identity(pid: int | None = None) -> str:
    """``pid:start-time``: names a process uniquely even after its pid is reused."""
    pid = pid or os.getpid()
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return ""
    return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"


def reap_orphans(client: Any) -> None:
    """Remove worker containers whose owning process is gone.

    A container cannot die with its parent as bwrap does; a pool killed before it
    closed leaves them, and a hung candidate in one would spin forever.
    """
    docker = _docker_module()
    # Another pool's container can go between the listing and its inspection.
    for c in client.containers.list(
        all=True, filters={"label": "kernelwright.role=worker"}, ignore_removed=True
    ):
        owner = c.labels.get("kernelwright.owner", "")
        pid = owner.partition(":")[0]
        if not pid.isdigit() or process_identity(int(pid)) != owner:
            with contextlib.suppress(docker.errors.APIError):
                c.remove(force=True)


def gpu_device_nodes() -> list[str]:
    return sorted(glob.glob("/dev/nvidia*"))


class BwrapBackend:
    """bubblewrap: Linux namespaces, no daemon, no image.

    Guarantees: no network (a new network namespace with only its own loopback); the
    host's filesystem read-only, with an empty private /tmp, $HOME and /run, so the
    only writable host folder is the scratch folder and the host's sockets there (the
    Docker engine's among them) are out of reach; no capabilities, even as root; a pid
    namespace, so the candidate sees
    and can signal only its own processes, and killing bwrap kills all of them; bwrap
    dies with the process that started it. Rlimits as in the subprocess backend.
    Does not guarantee: hiding what the host's filesystem holds (everything readable by
    the user stays readable, and a unix socket outside /tmp, $HOME and /run stays
    connectable), a memory or process-count cap enforced by a cgroup, or
    protection from kernel bugs; GPU device nodes are shared with the host.
    """

    name = "bwrap"

    def __init__(self) -> None:
        self._available: tuple[bool, str] | None = None

    def available(self) -> tuple[bool, str]:
        if self._available is None:
            self._available = self._probe()
        return self._available

    def _probe(self) -> tuple[bool, str]:
        exe = shutil.which("bwrap")
        if exe is None:
            return False, "bwrap is not installed (apt-get install bubblewrap)"
        # The probe runs `true` in the very sandbox a worker gets.
        with tempfile.TemporaryDirectory() as scratch:
            spec = WorkerSpec(device="cpu", scratch=Path(scratch), env=dict(os.environ))
            try:
                done = subprocess.run(
                    self._command(exe, spec, ["true"]), capture_output=True, timeout=20
                )
            except subprocess.TimeoutExpired:
                return False, "bwrap did not start within 20 s"
        if done.returncode != 0:
            why = done.stderr.decode(errors="replace").strip().splitlines()
            return False, f"bwrap cannot create namespaces here: {why[-1] if why else 'no reason'}"
        return True, exe

    def argv(self, spec: WorkerSpec, command: list[str]) -> list[str]:
        ok, detail = self.available()
        if not ok:
            raise BackendUnavailable(f"the bwrap sandbox is unavailable: {detail}")
        return self._command(detail, spec, command)

    def _command(self, exe: str, spec: WorkerSpec, command: list[str]) -> list[str]:
        # As root, bwrap keeps every capability unless told: CAP_SYS_ADMIN would undo
        # the read-only mounts and write the host kernel's settings in /proc/sys.
        args = [exe, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        # A fresh procfs leaves the host kernel's settings writable to root.
        args += ["--ro-bind", "/proc/sys", "/proc/sys"]
        args += ["--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger"]
        for node in gpu_device_nodes():
            args += ["--dev-bind", node, node]
        private = private_dirs(spec) + [
            Path(d) for d in RUNTIME_DIRS if Path(d).is_dir() and not Path(d).is_symlink()
        ]
        for d in private:
            args += ["--tmpfs", str(d)]
        # A private tmpfs hides what lay below it on the host (pyenv lives under $HOME,
        # scratch folders under /tmp); bring back what the worker needs.
        for p in host_read_only_paths(spec):
            if any(p.is_relative_to(d) for d in private):
                args += ["--ro-bind", str(p), str(p)]
        scratch = str(spec.scratch.resolve())
        args += ["--bind", scratch, scratch, "--chdir", scratch, "--"]
        return args + command

    def start(self, spec: WorkerSpec) -> WorkerHandle:
        argv = self.argv(spec, spec.argv)
        return PipeHandle(_spawner().submit(popen_worker, argv, spec).result())


@functools.cache
def _spawner() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that starts every bwrap.

    --die-with-parent is PR_SET_PDEATHSIG, which fires when the *thread* that started
    bwrap ends, not its process; pools start workers from short-lived threads. This
    thread lives as long as the process, so bwrap dies with the process and no sooner.
    """
    return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bwrap-spawn")


def _docker_module():
    try:
        import docker
    except ImportError as e:  # the docker SDK is a core dependency; say so if it's gone
        raise BackendUnavailable(
            "the docker Python SDK is not installed (pip install docker)"
        ) from e
    return docker


class DockerHandle:
    """A worker in a container, reached through the engine's attach socket.

    Without a TTY the engine multiplexes the container's stdout and stderr on one
    stream, each frame behind an 8-byte header: stream id, three zero bytes, and the
    payload length as a big-endian uint32.
    """

    def __init__(self, container: Any, sock: Any):
        self.container = container
        self._response = sock
        self._sock: socket.socket = getattr(sock, "_sock", sock)
        self._raw = b""
        self._buf = b""
        container.reload()
        self.pid: int | None = container.attrs["State"]["Pid"] or None

    def send(self, msg: dict[str, Any]) -> None:
        try:
            self._sock.sendall((json.dumps(msg) + "\n").encode())
        except OSError:
            raise WorkerDied(self._exit_text()) from None

    def recv(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                ready, _, _ = select.select([self._sock], [], [], left)
                if not ready:
                    return None
                try:
                    chunk = self._sock.recv(1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise WorkerDied(self._exit_text())
                self._raw += chunk
                self._demux()
            line, self._buf = self._buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue  # not a message of the worker's: noise, never a verdict
            return msg if isinstance(msg, dict) else None

    def _demux(self) -> None:
        while len(self._raw) >= 8:
            kind, size = struct.unpack(">BxxxL", self._raw[:8])
            if len(self._raw) < 8 + size:
                return
            if kind == 1:  # stdout; the worker's stderr goes to its capture file
                self._buf += self._raw[8 : 8 + size]
            self._raw = self._raw[8 + size :]

    def _exit_text(self) -> str:
        docker = _docker_module()
        try:
            code = self.container.wait(timeout=5)["StatusCode"]
            self.container.reload()
            oom = self.container.attrs["State"].get("OOMKilled", False)
        except (docker.errors.DockerException, OSError):
            return "the worker stopped answering"
        if oom:
            return "the worker was killed by the container's memory limit (OOM)"
        if code > 128:
            try:
                return f"the worker was killed by {signal.Signals(code - 128).name}"
            except ValueError:
                pass
        return f"the worker exited with status {code}"

    def kill(self) -> None:
        docker = _docker_module()
        with contextlib.suppress(OSError):
            self._response.close()
        # Removing with force SIGKILLs the container's init; the pid namespace takes
        # every process of the candidate's with it, new sessions included.
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if "already in progress" not in str(e):
                raise


class DockerBackend:
    """Docker: a throwaway container per worker, from an almost empty local image.

    Guarantees: no network (network mode none); a read-only root filesystem with an
    empty tmpfs /tmp and $HOME, the host's Python, venv and kernelwright's source
    mounted read-only, the scratch folder the only writable host path; a pid namespace
    with an init, so removing the container kills everything the candidate started;
    memory and process count capped by the container's cgroup as well as by rlimits;
    all capabilities dropped, no privilege escalation; GPUs passed by device request
    only (the worker's own). Does not guarantee: protection from kernel or engine bugs,
    or from a GPU driver bug reachable through the device nodes. Needs a running engine
    and the image (scripts/make_sandbox_image.sh); with GPUs, the NVIDIA container toolkit.
    """

    name = "docker"

    def __init__(self, image: str | None = None):
        self.image = image or os.environ.get(DOCKER_IMAGE_ENV) or DEFAULT_DOCKER_IMAGE
        self._client: Any = None
        self._available: tuple[bool, str] | None = None

    def available(self) -> tuple[bool, str]:
        if self._available is None:
            self._available = self._probe()
        return self._available

    def _probe(self) -> tuple[bool, str]:
        try:
            docker = _docker_module()
        except BackendUnavailable as e:
            return False, str(e)
        try:
            client = docker.from_env(timeout=30)
            client.ping()
        except docker.errors.DockerException as e:
            return False, f"the Docker engine does not answer ({type(e).__name__})"
        try:
            client.images.get(self.image)
        except docker.errors.ImageNotFound:
            return False, f"image {self.image} is missing (build it: scripts/make_sandbox_image.sh)"
        except docker.errors.DockerException as e:
            return False, f"the Docker engine failed to list images ({e})"
        if gpu_device_nodes() and shutil.which("nvidia-container-cli") is None:
            return False, "this machine has GPUs but no NVIDIA container toolkit"
        self._client = client
        reap_orphans(client)
        return True, f"engine {client.version().get('Version', '?')}, image {self.image}"

    def container_config(self, spec: WorkerSpec, command: list[str]) -> dict[str, Any]:
        """The keyword arguments of ``containers.create`` for one worker."""
        docker = _docker_module()
        types = docker.types
        limits = spec.limits
        scratch = str(spec.scratch.resolve())
        mounts = [types.Mount(scratch, scratch, type="bind", read_only=False)]
        # The engine follows a source symlink (merged /usr: /lib -> usr/lib) on the host.
        for p in [Path(s) for s in HOST_SYSTEM_PATHS] + host_read_only_paths(spec):
            if p.exists():
                mounts.append(types.Mount(str(p), str(p), type="bind", read_only=True))
        tmpfs_size = f"size={limits.file_size_bytes or (1 << 30)}"
        ulimits = [types.Ulimit(name="core", soft=0, hard=0)]
        if limits.file_size_bytes is not None:
            n = limits.file_size_bytes
            ulimits.append(types.Ulimit(name="fsize", soft=n, hard=n))
        if limits.nproc is not None:
            ulimits.append(types.Ulimit(name="nproc", soft=limits.nproc, hard=limits.nproc))
        # Docker has no address-space ulimit; util-linux's prlimit sets it before exec.
        if limits.address_space_bytes is not None:
            command = ["prlimit", f"--as={limits.address_space_bytes}", "--", *command]
        config: dict[str, Any] = dict(
            image=self.image,
            command=command,
            name=f"kernelwright-worker-{uuid.uuid4().hex[:12]}",
            labels={"kernelwright.role": "worker", "kernelwright.owner": process_identity()},
            environment=spec.env,
            working_dir=scratch,
            stdin_open=True,
            tty=False,
            network_mode="none",
            read_only=True,
            init=True,
            mounts=mounts,
            tmpfs={str(d): tmpfs_size for d in private_dirs(spec)},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ulimits=ulimits,
            pids_limit=limits.nproc or -1,
        )
        if limits.address_space_bytes is not None:
            config["mem_limit"] = limits.address_space_bytes
            config["memswap_limit"] = limits.address_space_bytes
        if spec.device.startswith("cuda"):
            # The worker's CUDA_VISIBLE_DEVICES names host GPUs; the container sees only
            # those, renumbered from 0.
            visible = spec.env.get("CUDA_VISIBLE_DEVICES") or spec.device.partition(":")[2]
            ids = [i.strip() for i in (visible or "0").split(",") if i.strip()]
            config["device_requests"] = [
                types.DeviceRequest(device_ids=ids, capabilities=[["gpu"]])
            ]
            config["environment"] = {
                **spec.env,
                "CUDA_VISIBLE_DEVICES": ",".join(str(i) for i in range(len(ids))),
            }
        return config

    def start(self, spec: WorkerSpec) -> WorkerHandle:
        ok, why = self.available()
        if not ok:
            raise BackendUnavailable(f"the docker sandbox is unavailable: {why}")
        container = self._client.containers.create(**self.container_config(spec, spec.argv))
        try:
            sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
            container.start()
            return DockerHandle(container, sock)
        except BaseException:
            container.remove(force=True)
            raise


BACKENDS: dict[str, type] = {
    "subprocess": SubprocessBackend,
    "bwrap": BwrapBackend,
    "docker": DockerBackend,
}


# What "auto" chose, decided once per process (one process, one run): a Docker engine that
# comes up, or goes, in the middle of a run must not switch later workers' backend silently.
_auto_choice: str | None = None

SUBPROCESS_FALLBACK = (
    "note: sandbox 'subprocess' ({why}): candidates run without a network cut, without write "
    "protection of host files and can see host processes; install bubblewrap or a Docker "
    "engine with the sandbox image for that (README, Sandboxes), or pass --sandbox "
    "subprocess to say this is intended."
)


def select_backend(name: str = "auto") -> Backend:
    """The backend called ``name``; "auto" picks the strongest this machine can run, once per
    process: later calls get the same backend, or an error if it went away. A fall-back to
    the subprocess backend is said once, on stderr, with what it does not protect."""
    global _auto_choice
    if name == "auto" and _auto_choice is not None:
        name = _auto_choice
    elif name == "auto":
        why = []
        for cls in (DockerBackend, BwrapBackend):
            backend = cls()
            ok, detail = backend.available()
            if ok:
                _auto_choice = backend.name
                return backend
            why.append(f"{backend.name}: {detail}")
        _auto_choice = SubprocessBackend.name
        print(SUBPROCESS_FALLBACK.format(why="; ".join(why)), file=sys.stderr, flush=True)
        return SubprocessBackend()
    if name not in BACKENDS:
        choices = ", ".join(["auto", *BACKENDS])
        raise BackendUnavailable(f"unknown sandbox {name!r}: choose one of {choices}")
    backend = BACKENDS[name]()
    ok, why = backend.available()
    if not ok:
        raise BackendUnavailable(f"the {name} sandbox is unavailable: {why}")
    return backend
