"""A clean process that forks the learner's sandbox children.

A forked child gets a copy of its parent's memory. Forked from the pytest process, a
learner's child could walk that memory (``gc.get_objects()``) and find what the grader
knows by then: the reference's results above all, which it could return as its own. So
the pytest process forks this server once, after the checks are collected and before any
check runs, when it knows nothing yet; every learner call runs in a worker forked from the
server (:mod:`torchgrade.engine.worker`), which runs one call after another while it stays
sound. The reference's children, which run trusted code, are still forked from the pytest
process.

Requests and replies are pickles on two pipes between two trusted processes; learner data
reaches the server only as ``sandbox.Outcome``s, which the worker's results were read back
into as plain data.
"""

from __future__ import annotations

import os
from typing import Any

from torchgrade.engine import sandbox
from torchgrade.engine.worker import Gone, Worker, receive, send


class ForkServer:
    def __init__(self) -> None:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the server: serve until the pytest process closes its end
            try:
                os.close(request_w)
                os.close(reply_r)
                sandbox.become_subreaper()
                _serve(request_r, reply_w)
            finally:
                os._exit(0)
        os.close(request_r)
        os.close(reply_w)
        sandbox.spare(self.pid)
        self._requests, self._replies = request_w, reply_r

    def run(
        self,
        fn: Any,
        *args: Any,
        limits: sandbox.Limits,
        learner_file: str | None = None,
        private: tuple[str, ...] = (),
    ) -> sandbox.Outcome:
        """What ``sandbox.run`` returns for the same call, run in the server's worker."""
        try:
            send(self._requests, (fn, args, {"limits": limits, "learner_file": learner_file, "private": private}))
            return receive(self._replies)
        except (EOFError, OSError) as exc:
            raise RuntimeError(f"the fork server stopped ({type(exc).__name__})") from None

    def close(self) -> None:
        os.close(self._requests)
        os.close(self._replies)
        os.waitpid(self.pid, 0)


def _serve(requests: int, replies: int) -> None:
    worker: Worker | None = None
    try:
        while True:
            try:
                fn, args, kwargs = receive(requests)
            except EOFError:
                return
            limits, learner_file, private = kwargs["limits"], kwargs["learner_file"], kwargs["private"]
            if worker is not None and not worker.fits(limits, learner_file, private):
                worker.close()
                worker = None
            try:
                try:
                    worker = worker or Worker(limits, learner_file, private)
                    outcome, sound = worker.call(fn, args, limits)
                except Gone:  # ended by what an earlier call did to it: this call gets a fresh one
                    worker = Worker(limits, learner_file, private)
                    outcome, sound = worker.call(fn, args, limits)
            except Exception as exc:  # noqa: BLE001 - whatever a call did to its worker, the server carries on
                outcome = sandbox.Outcome(
                    failure=sandbox.Failure(
                        "crash", f"the sandbox could not run your code ({type(exc).__name__}: {exc})."
                    )
                )
                sound = False
            if worker is not None and not sound:
                worker.close()
                worker = None
            sandbox.reap_strays(keep={worker.pid} if worker else set())
            send(replies, outcome)
    finally:
        if worker is not None:
            worker.close()
