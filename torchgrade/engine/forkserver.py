"""A clean process that forks the learner's sandbox children.

A forked child gets a copy of its parent's memory. Forked from the pytest process, a
learner's child could walk that memory (``gc.get_objects()``) and find what the grader
knows by then: the reference's results above all, which it could return as its own. So
the pytest process forks this server once, after the checks are collected and before any
check runs, when it knows nothing yet; every learner child is forked from the server.
The reference's children, which run trusted code, are still forked from the pytest process.

Requests and replies are pickles on two pipes between two trusted processes; learner data
reaches the server only as ``sandbox.Outcome``s, which sandbox.run read back as plain data.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import Any

from torchgrade.engine import sandbox

_HEADER = struct.Struct("!Q")


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int) -> Any:
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

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> sandbox.Outcome:
        """``sandbox.run(fn, *args, **kwargs)``, forked from the server."""
        try:
            _send(self._requests, (fn, args, kwargs))
            return _receive(self._replies)
        except (EOFError, OSError) as exc:
            raise RuntimeError(f"the fork server stopped ({type(exc).__name__})") from None

    def close(self) -> None:
        os.close(self._requests)
        os.close(self._replies)
        os.waitpid(self.pid, 0)


def _serve(requests: int, replies: int) -> None:
    while True:
        try:
            fn, args, kwargs = _receive(requests)
        except EOFError:
            return
        _send(replies, sandbox.run(fn, *args, **kwargs))
