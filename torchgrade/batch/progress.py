"""How far a batch is: one updating line on a terminal, one line per submission otherwise."""

from __future__ import annotations

import shutil
import time
from typing import IO

from torchgrade.batch.gradebook import percent
from torchgrade.batch.store import Stored
from torchgrade.reports.common import num


def duration(seconds: float) -> str:
    """1h02m, 3m05s, 42s."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def describe(result: Stored) -> str:
    """``alice: 87.5/100 (87.5%) graded``"""
    share = percent(result.score, result.max_score)
    return f"{result.name}: {num(result.score)}/{num(result.max_score)} ({share:.1f}%) {result.status}"


class Progress:
    """Graded/total, the time left and the failures (submissions not simply graded) so far."""

    def __init__(self, total: int, stream: IO[str], live: bool):
        self.total, self.stream, self.live = total, stream, live
        self.done = self.failures = 0
        self.start = time.monotonic()
        if live and total:
            self._line("")

    def finished(self, result: Stored) -> None:
        self.done += 1
        self.failures += result.status != "graded"
        if self.live:
            self._line(describe(result))
        else:
            print(f"[{self.done}/{self.total}] {describe(result)}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.live and self.total:
            print(file=self.stream, flush=True)

    def _line(self, last: str) -> None:
        elapsed = time.monotonic() - self.start
        eta = duration(elapsed / self.done * (self.total - self.done)) if self.done else "…"
        text = (
            f"graded {self.done}/{self.total} · ETA {eta} · {self.failures} failure{'s' if self.failures != 1 else ''}"
        )
        text += f" · {last}" if last else ""
        width = shutil.get_terminal_size().columns - 1  # a line that wraps cannot be redrawn
        self.stream.write(f"\r\x1b[K{text[:width]}")
        self.stream.flush()
