"""A sandbox child that runs one learner's calls one after another.

A fork costs about 8 ms, and its exit as much again, for a process with torch loaded (its
page tables are copied and torn down; more on a virtual machine), and an exercise makes
ten calls or more. So the fork server (:mod:`torchgrade.engine.forkserver`) keeps one
worker: a child confined like any sandbox child (:func:`sandbox.confine_child`), which
runs each call it is sent in the same way a child of its own would run it:

- a fresh working folder, torch's defaults pinned and every seed set again
  (:func:`sandbox.enter_call`; the module itself is loaded anew by each scenario);
- ``memory_mb`` of address space from where the worker stands (the hard limit leaves
  ``SPARE_MB`` for what earlier calls left behind; past that, a fresh worker);
- its own time limit, kept by the fork server, its own output, and its own children,
  killed when it ends.

A call that leaves the worker in a state no other call should meet (a time-out, a crash,
running out of memory, replacing what the grader relies on, a module that does not load,
a thread or a child still running) ends the worker; the next call gets a fresh one. So
does a call with other limits. Whatever a call does, the fork server answers it: the
worker's folder and pipes are the learner's to spoil (see SECURITY.md).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import select
import shutil
import struct
import tempfile
import time
from collections.abc import Callable
from typing import Any

from torchgrade.engine import guard, sandbox

SPARE_MB = 512  # address space a worker may keep from earlier calls before it is replaced
_REUSABLE = frozenset({"exception", "not_attempted", "missing"})  # failures after which the worker is sound
_HEADER = struct.Struct("!Q")
_REQUESTS, _DONE = 3, 4  # the worker's descriptors: calls in, "done" out


def _frame(obj: Any) -> memoryview:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return memoryview(_HEADER.pack(len(data)) + data)


def send(fd: int, obj: Any) -> None:
    """Write one object, framed, to ``fd`` (between trusted processes only)."""
    view = _frame(obj)
    while view:
        view = view[os.write(fd, view) :]


def receive(fd: int) -> Any:
    """The next object on ``fd``; EOFError when the other side is gone."""

    def exactly(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    (size,) = _HEADER.unpack(exactly(_HEADER.size))
    return pickle.loads(exactly(size))


class Worker:
    """One confined child and the fork server's end of its pipes."""

    def __init__(self, limits: sandbox.Limits, learner_file: str | None, private: tuple[str, ...]):
        self.terms = _terms(limits, learner_file, private)
        self.folder = tempfile.mkdtemp(prefix="torchgrade-")
        home = os.path.join(self.folder, "work")
        os.mkdir(home)
        sandbox.hand_over(self.folder, home)
        requests_r, self._requests = os.pipe()
        self._done, done_w = os.pipe()
        self._out, out_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the worker: never returns
            try:
                # out of the way of 3 and 4 first, wherever the pipes happened to land
                requests_r, done_w, out_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (requests_r, done_w, out_w))
                os.dup2(requests_r, _REQUESTS)
                os.dup2(done_w, _DONE)
                sandbox.confine_child(limits, out_w, home, learner_file, private, (_REQUESTS, _DONE), SPARE_MB)
                _serve(learner_file)
            finally:
                os._exit(0)
        for fd in (requests_r, done_w, out_w):
            os.close(fd)
        for fd in (self._requests, self._out):
            fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)
        self.status: int | None = None  # the exit status, once reaped
        self.closed = False

    def fits(self, limits: sandbox.Limits, learner_file: str | None, private: tuple[str, ...]) -> bool:
        """Whether the next call may run here: the same terms, and room for its memory."""
        if self.status is not None or self.terms != _terms(limits, learner_file, private):
            return False
        try:
            with open(f"/proc/{self.pid}/limits") as f:
                hard = next(line.split()[-2] for line in f if line.startswith("Max address space"))
        except (OSError, StopIteration):
            return False
        used = sandbox.address_space(self.pid)
        return hard == "unlimited" or (used > 0 and used + limits.memory_mb * 2**20 <= int(hard))

    def call(self, fn: Callable[..., Any], args: tuple, limits: sandbox.Limits) -> tuple[sandbox.Outcome, bool]:
        """Run ``fn(*args)`` here; the outcome, and whether the worker can take another call."""
        start = time.perf_counter()
        deadline = start + limits.timeout_s
        workdir = tempfile.mkdtemp(dir=self.folder)  # a name no earlier call could guess and take
        result_path = workdir + ".pt"
        try:
            sandbox.hand_over(workdir)
            sent = self._send((fn, args, workdir, result_path, limits.memory_mb), deadline)
            output, done, status = self._supervise(deadline, limits.output_bytes) if sent else (b"", False, None)
            duration = time.perf_counter() - start
            text = sandbox.without_torch_logs(output.decode("utf-8", "replace"))
            if not done and status is None:
                return sandbox.timed_out(limits, text, duration), False
            outcome = sandbox.read_result(result_path, status, text, duration, limits)
            return outcome, done and (outcome.ok or outcome.failure.kind in _REUSABLE) and self._idle()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            try:
                os.remove(result_path)
            except OSError:  # none, or something else the call put there: the folder goes with the worker
                pass

    def _send(self, request: tuple, deadline: float) -> bool:
        """Hand the worker its call before the deadline (False: it did not take it, and is ended)."""
        view = _frame(request)
        while view:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self.close()
                return False
            _, ready, _ = select.select([], [self._requests], [], remaining)
            try:
                if ready:
                    view = view[os.write(self._requests, view) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:  # it had ended before the call reached it
                self.close()
                raise Gone from None
        return True

    def _supervise(self, deadline: float, cap: int) -> tuple[bytes, bool, int | None]:
        """The call's output until the worker says it is done: (output, done, exit status if it died).

        Neither done nor a status: the time limit passed, and the worker was killed.
        """
        chunks: list[bytes] = []
        size, out_open = 0, True

        def drain() -> None:
            """Read what the pipe holds now (1 MiB past the cap at most: a writer that goes on is
            not waited for); output past the cap is dropped."""
            nonlocal size, out_open
            most = max(size, cap) + 2**20
            while out_open and size < most:
                try:
                    data = os.read(self._out, 65536)
                except BlockingIOError:
                    return
                if not data:
                    out_open = False
                    return
                if size < cap:
                    chunks.append(data[: cap - size])
                    if size + len(data) >= cap:
                        chunks.append(b"\n[... output truncated ...]\n")
                size += len(data)

        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                sandbox.kill_group(self.pid)
                self._reap()
                drain()
                return b"".join(chunks), False, None
            watched = [self._done, self._out] if out_open else [self._done]
            ready, _, _ = select.select(watched, [], [], min(remaining, 0.05))
            if self._out in ready:
                drain()
            if self._done in ready:
                said = os.read(self._done, 64)
                drain()  # all the call wrote is in the pipe by now
                if said == b".":
                    return b"".join(chunks), True, None
                sandbox.kill_group(self.pid)  # gone, or it said something else: not to be trusted again
                return b"".join(chunks), False, self._reap()
            if os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                # died, while something it started still holds its pipes: end that too, then reap
                sandbox.kill_group(self.pid)
                status = self._reap()
                drain()
                return b"".join(chunks), False, status

    def _idle(self) -> bool:
        """Whether nothing of the last call still runs in the worker: one thread, and no child."""
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                children = f.read().split()
        except OSError:
            return False
        return sandbox.status_field(self.pid, "Threads") == 1 and not children

    def _reap(self) -> int:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        return self.status

    def close(self) -> None:
        """End the worker and its process group, and remove its folder."""
        if self.closed:
            return
        self.closed = True
        if self.status is None:
            sandbox.kill_group(self.pid)
            self._reap()
        for fd in (self._requests, self._done, self._out):
            os.close(fd)
        shutil.rmtree(self.folder, ignore_errors=True)


class Gone(Exception):
    """The worker had ended before the call reached it (something an earlier call left running)."""


def _terms(limits: sandbox.Limits, learner_file: str | None, private: tuple[str, ...]) -> tuple:
    """What a worker is made with: calls that differ in these need another worker."""
    return (limits.memory_mb, limits.output_bytes, limits.file_bytes, learner_file, private)


def _serve(learner_file: str | None) -> None:
    """The worker's loop: run each call as its own child would, then say so."""
    guard.remember()
    while True:
        try:
            fn, args, workdir, result_path, memory_mb = receive(_REQUESTS)
        except EOFError:
            return
        sandbox.enter_call(workdir, memory_mb)
        sandbox.child_main(fn, args, result_path, learner_file)
        sandbox.reap_strays()  # what the call started ends with it
        os.write(_DONE, b".")
