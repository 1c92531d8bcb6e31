"""Run one piece of code in a forked child, under limits, and bring its result back as data.

The grader process never runs learner code. It forks a child (cheap: torch is already
imported in the parent), the child runs a *scenario* and writes its result with
``torch.save``; the parent reads it back with ``torch.load(weights_only=True)``, which
accepts tensors and plain containers only, so nothing the child wrote can execute in the
parent.

Limits per child: wall clock (the child's process group is SIGKILLed), address space,
file size, captured output. On Linux the parent is a child subreaper, so processes the
learner detaches (double forks, ``setsid`` daemons) are re-parented to it and killed when
the check ends.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import io
import os
import pwd
import random
import re
import resource
import select
import signal
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from torchgrade import seeds
from torchgrade.engine import confine, guard, wire
from torchgrade.engine.loader import LoadError

_PR_SET_CHILD_SUBREAPER = 36
# PyTorch errors whose cause is a concept worth naming, wherever they are raised
_KNOWN_ERRORS = [
    (
        "modified by an inplace operation",
        "An in-place operation (ReLU(inplace=True), x += ..., a method ending in _) overwrote a tensor that backward() still needed: compute a new tensor instead.",
    ),
    (
        "Expected all tensors to be on the same device",
        "A tensor and the model (or two tensors) are on different devices: move them with .to(device).",
    ),
    (
        "expected scalar type",
        "Two tensors of different dtypes met: convert one with .to(dtype) (class labels are int64, features float32).",
    ),
    (
        "must have the same dtype",
        "Two tensors of different dtypes met: convert one with .to(dtype) (class labels are int64, features float32).",
    ),
]
# TypeErrors that mean a learner function's signature does not fit the exercise's call
_BAD_CALL = re.compile(
    r"\(\) (got an unexpected keyword argument|missing \d+ required|takes \d+ positional|takes from \d+ to \d+ positional|got multiple values)"
)
# a line of torch's own C++ logging (the profiler's kineto), not something the learner printed:
# "USDT:2026-11-30 01:34:08 14094:14094 SyncActivityProfilerHandler.cpp:52] profiler_start"
_TORCH_LOG = re.compile(r"^[A-Z]+:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+:\d+ \w+\.cpp:\d+\] .*(?:\n|$)", re.M)
try:
    _NOBODY = pwd.getpwnam("nobody").pw_uid
except KeyError:
    _NOBODY = 65534


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0
    memory_mb: int = 2048
    output_bytes: int = 64 * 1024
    file_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Failure:
    """Why a child produced no result, in words meant for the learner."""

    kind: str  # load | not_attempted | missing | exception | tampered | timeout | memory | crash
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    failure: Failure | None = None
    output: str = ""
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None


def warm_up() -> None:
    """Pay for imports once, before forking: torch and the optimizer stack (torch._dynamo)."""
    torch.set_num_threads(1)  # a forked child of a multi-threaded parent can deadlock in OpenMP
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    gc.freeze()  # children inherit the heap; stop their collectors from walking it


@functools.cache
def layers() -> tuple[str, ...]:
    """The confinement layers a sandbox child gets on this machine (asked once, of a real child)."""
    out = run(lambda: list(confine.APPLIED), limits=Limits(timeout_s=30))
    return tuple(out.value) if out.ok else ()


@functools.cache
def _drop_to_nobody() -> bool:
    """Run learner code as nobody when grading as root, if nobody can run this Python.

    An installation under a private home (e.g. /root/.pyenv) is unreadable to nobody, and
    learner code could then not import the standard library; there the child stays root
    (SECURITY.md says what that leaves open).
    """
    if os.getuid() != 0:
        return False
    roots = {sys.prefix, sys.base_prefix, os.path.dirname(torch.__file__), os.path.dirname(os.__file__)}
    for root in roots:
        path = os.path.realpath(root)
        while True:
            if not os.stat(path).st_mode & stat.S_IXOTH:
                return False
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return True


def hand_over(*paths: str) -> None:
    """Give the child the folders it may write: when it runs as nobody, they are nobody's."""
    if _drop_to_nobody():
        for path in paths:
            os.chown(path, _NOBODY, _NOBODY, follow_symlinks=False)  # a link put in its place gives nothing away


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux only) so that none can outlive its check."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: process-group kills still apply
        pass


def _children() -> list[int]:
    pids: list[int] = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


_HELPERS: set[int] = set()  # children of this process that are the grader's own (the fork server)


def spare(pid: int) -> None:
    """Never reap ``pid``, a child of this process that the grader itself runs."""
    _HELPERS.add(pid)


def reap_strays(keep: set[int] = frozenset()) -> None:
    """Kill and reap every child of this process (adopted orphans included) but ``keep`` and the helpers."""
    keep = set(keep) | _HELPERS
    for _ in range(100):
        pids = [pid for pid in _children() if pid not in keep]
        if not pids:
            return
        for pid in pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def seed_everything() -> None:
    """Seed Python's, torch's and numpy's global generators from the run seed (torchgrade.seeds)."""
    seed = seeds.seed(0)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:
        pass


def confine_child(
    limits: Limits,
    out_fd: int,
    workdir: str,
    learner_file: str | None,
    private: tuple[str, ...],
    keep: tuple[int, ...] = (),
    spare_mb: int = 0,
) -> None:
    """Once per child, before any learner code: its output, its limits, its confinement.

    ``keep``: descriptors (besides 0-2) that stay open. ``spare_mb``: address space allowed
    above the memory limit, which :func:`enter_call` hands out call by call (a worker).
    """
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    low = 3
    for fd in sorted(keep):  # no other grader channel stays reachable
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = sys.stdout
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    vm = address_space()
    if vm:
        budget = vm + (limits.memory_mb + spare_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    confine.apply(workdir, learner_file, private, nobody=_NOBODY if _drop_to_nobody() else None)


def enter_call(workdir: str, memory_mb: int) -> None:
    """Before each call: its own folder, ``memory_mb`` from where the process stands, torch's
    defaults as the scenarios pin them (guard.pin_defaults), one thread, every seed."""
    os.chdir(workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = tempfile.tempdir = workdir
    vm = address_space()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if vm and hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_AS, (min(hard, vm + memory_mb * 2**20), hard))
    guard.pin_defaults("cpu")  # the device's own settings are made by the scenario's call (devices.prepare_child)


def address_space(pid: int | str = "self") -> int:
    """The process's address space in bytes (VmSize); 0 where it cannot be read."""
    return status_field(pid, "VmSize") * 1024


def status_field(pid: int | str, name: str) -> int:
    """A number from /proc/PID/status (VmSize in KiB, Threads, ...); 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(f"{name}:"))
    except (OSError, ValueError, StopIteration):
        return 0


def child_main(fn: Callable[..., Any], args: tuple, result_path: str, learner_file: str | None) -> None:
    try:
        value = wire.encode(fn(*args))
        payload = {"ok": value}
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
        payload = {"error": _describe(exc, learner_file)}
    buf = io.BytesIO()
    torch.save(payload, buf)
    with open(result_path, "wb") as f:
        f.write(buf.getvalue())


def _describe(exc: BaseException, learner_file: str | None) -> dict[str, str]:
    if isinstance(exc, LoadError):
        return {"kind": "load", "message": str(exc), "traceback": exc.details}
    if isinstance(exc, guard.Tampered):
        shown = ", ".join(f"`{name}`" for name in exc.replaced[:3]) + (" and more" if len(exc.replaced) > 3 else "")
        return {
            "kind": "tampered",
            "message": f"Your code replaced {shown}, which the grader relies on, so nothing it computed can be "
            "trusted: leave PyTorch's functions, Python's builtins and the grader's code as they are.",
            "traceback": "",
        }
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [fr for fr in frames if learner_file and fr.filename == learner_file]
    tb = "".join(traceback.format_list(mine)) + "".join(traceback.format_exception_only(type(exc), exc))
    where = f"`{mine[-1].name}`" if mine else "your code"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, NotImplementedError) and mine:
        return {
            "kind": "not_attempted",
            "message": f"{where} is not implemented yet (it still raises NotImplementedError).",
            "traceback": "",
        }
    if (
        isinstance(exc, AttributeError)
        and not mine
        and getattr(exc, "name", None)
        and _is_learner_module(getattr(exc, "obj", None), learner_file)
    ):
        return {
            "kind": "missing",
            "message": f"`{exc.name}` is missing from your module: define it with the name and signature the exercise asks for.",
            "traceback": "",
        }
    if isinstance(exc, MemoryError) or "can't allocate memory" in text or "DefaultCPUAllocator" in text:
        return {"kind": "memory", "message": f"{where} ran out of memory.", "traceback": tb}
    if isinstance(exc, RecursionError):
        return {"kind": "exception", "message": f"{where} recursed without end (RecursionError).", "traceback": tb}
    name = type(exc).__name__
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        return {
            "kind": "exception",
            "message": f"{where} raised {name} (code must return a result, not exit).",
            "traceback": tb,
        }
    if not mine and isinstance(exc, TypeError) and _BAD_CALL.search(text):
        return {
            "kind": "exception",
            "message": f"your function cannot be called the way the exercise calls it ({text}): check its parameters against the signature the exercise gives.",
            "traceback": tb,
        }
    hint = next((h for pattern, h in _KNOWN_ERRORS if pattern in text), "")
    if not mine:
        detail = f"{name}: {text}" if text else name
        hint = hint or "Check the return type and shape the exercise asks for."
        return {
            "kind": "exception",
            "message": f"your code's result could not be used ({detail}). {hint}",
            "traceback": tb,
        }
    said = f"{where} raised {name}: {text}" if text else f"{where} raised {name}."
    return {"kind": "exception", "message": f"{said} {hint}" if hint else said, "traceback": tb}


def _is_learner_module(obj: Any, learner_file: str | None) -> bool:
    return learner_file is not None and getattr(obj, "__file__", None) == learner_file


def run(
    fn: Callable[..., Any],
    *args: Any,
    limits: Limits,
    learner_file: str | None = None,
    private: tuple[str, ...] = (),
) -> Outcome:
    """Run ``fn(*args)`` in a forked child and return its result as data.

    ``learner_file`` is readable in the child (for tracebacks); ``private`` folders (the
    course) are not, even where an import path leads into them.
    """
    with tempfile.TemporaryDirectory(prefix="torchgrade-") as tmp:
        result_path = os.path.join(tmp, "result.pt")
        workdir = os.path.join(tmp, "work")
        os.mkdir(workdir)
        hand_over(tmp, workdir)
        out_r, out_w = os.pipe()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(out_r)
                confine_child(limits, out_w, workdir, learner_file, private)
                enter_call(workdir, limits.memory_mb)
                child_main(fn, args, result_path, learner_file)
            finally:
                os._exit(0)
        os.close(out_w)
        output, status = _supervise(pid, out_r, start + limits.timeout_s, limits.output_bytes)
        duration = time.perf_counter() - start
        reap_strays()
        text = without_torch_logs(output.decode("utf-8", "replace"))
        if status is None:
            return timed_out(limits, text, duration)
        return read_result(result_path, status, text, duration, limits)


def timed_out(limits: Limits, output: str, duration: float) -> Outcome:
    return Outcome(
        failure=Failure(
            "timeout",
            f"timed out after {limits.timeout_s:g} s: is there an infinite loop, or far more work than the task needs?",
        ),
        output=output,
        duration_s=duration,
    )


def without_torch_logs(output: str) -> str:
    """The output without torch's own log lines, which carry a time and a pid and say nothing to a learner."""
    return _TORCH_LOG.sub("", output)


def _supervise(pid: int, out_r: int, deadline: float, cap: int) -> tuple[bytes, int | None]:
    """Collect the child's output until it exits; None as status on timeout."""
    chunks: list[bytes] = []
    size = 0
    open_pipe = True
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            kill_group(pid)
            os.waitpid(pid, 0)
            if open_pipe:
                os.close(out_r)
            return b"".join(chunks), None
        if open_pipe:
            ready, _, _ = select.select([out_r], [], [], min(remaining, 0.05))
            if ready:
                data = os.read(out_r, 65536)
                if not data:
                    os.close(out_r)
                    open_pipe = False
                elif size < cap:
                    chunks.append(data[: cap - size])
                    size += len(data)
                    if size >= cap:
                        chunks.append(b"\n[... output truncated ...]\n")
                continue
        else:
            time.sleep(min(remaining, 0.002))
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if open_pipe:  # a descendant may still hold the pipe: do not wait for it
                os.close(out_r)
            kill_group(pid)
            return b"".join(chunks), status


def kill_group(pid: int) -> None:
    """Kill the child and its process group (which the child itself may have left)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:  # real-time and other unnamed signals
        return f"signal {sig}"


def read_result(path: str, status: int | None, output: str, duration: float, limits: Limits) -> Outcome:
    try:
        payload = torch.load(io.BytesIO(_read_plain_file(path, limits.file_bytes)), weights_only=True)
    except FileNotFoundError:
        return Outcome(failure=_death(status, limits), output=output, duration_s=duration)
    except Exception:  # noqa: BLE001 - anything unreadable is a forged or broken result
        return Outcome(
            failure=Failure(
                "crash",
                "your code's result could not be read back: it is not plain data (tensors, numbers, strings, lists, dicts).",
            ),
            output=output,
            duration_s=duration,
        )
    if isinstance(payload, dict) and "ok" in payload and len(payload) == 1:
        return Outcome(value=wire.decode(payload["ok"]), output=output, duration_s=duration)
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and all(isinstance(error.get(k), str) for k in ("kind", "message", "traceback")):
        return Outcome(
            failure=Failure(error["kind"], error["message"], error["traceback"]), output=output, duration_s=duration
        )
    return Outcome(
        failure=Failure("crash", "your code's result could not be read back."), output=output, duration_s=duration
    )


def _read_plain_file(path: str, cap: int) -> bytes:
    """The bytes of the regular file at ``path``: a link, a FIFO or a device the child put there is refused."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with open(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
            raise ValueError("not a plain file of results")
        return f.read()


def _death(status: int | None, limits: Limits) -> Failure:
    if status is None:  # a worker that said it was done, without a result
        return Failure("crash", "your code's result could not be read back.")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXFSZ:
            return Failure(
                "crash", f"your code wrote more than {limits.file_bytes // 2**20} MiB to a file and was stopped."
            )
        name = signal_name(sig)
        return Failure(
            "crash",
            f"the process running your code was killed by {name} (a crash, or the memory limit of {limits.memory_mb} MiB).",
        )
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return Failure(
        "crash",
        f"your code ended the process (exit status {code}) before returning: do not call sys.exit() or os._exit().",
    )
