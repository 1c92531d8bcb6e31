"""The fork server's worker runs learner calls one after another, each as a child of its own
would run it: a fresh folder, seeds and defaults set again, its own memory budget, time
limit and output, and nothing it started outlives it. After a call that leaves it unsound,
the next call gets a fresh worker."""

from __future__ import annotations

import builtins
import os
import subprocess
import time

import pytest
import torch

from torchgrade.engine import forkserver, sandbox

LIMITS = sandbox.Limits(timeout_s=10, memory_mb=600)


@pytest.fixture
def server():
    server = forkserver.ForkServer()
    yield server
    server.close()


def call(server, fn, *args, limits=LIMITS):
    return server.run(fn, *args, limits=limits)


def pid() -> int:
    return os.getpid()


def disturb() -> int:
    """Everything a call might leave behind for the next one."""
    open("left.txt", "w").write("mine")
    os.environ["LEFT"] = "1"
    torch.manual_seed(123)
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(2)
    os.chdir("/")
    return os.getpid()


def surroundings() -> dict:
    return {
        "files": sorted(os.listdir(".")),
        "cwd_is_home": os.getcwd() == os.environ["HOME"],
        "random": torch.rand(3).tolist(),
        "dtype": str(torch.get_default_dtype()),
        "threads": torch.get_num_threads(),
        "pid": os.getpid(),
    }


def test_a_call_finds_nothing_an_earlier_call_left(server):
    fresh = sandbox.run(surroundings, limits=LIMITS).value
    first = call(server, disturb).value
    after = call(server, surroundings).value
    assert after.pop("pid") == first  # the same worker, so the reuse is real
    fresh.pop("pid")
    assert after == fresh == {**fresh, "files": [], "cwd_is_home": True, "dtype": "torch.float32", "threads": 1}


def hang() -> None:
    while True:
        pass


def exit_3() -> None:
    os._exit(3)


def raise_value_error() -> None:
    raise ValueError("mine")


def exit_3_leaving_a_child() -> None:
    if os.fork() == 0:  # holds the worker's pipes open after it died
        time.sleep(60)
    os._exit(3)


@pytest.mark.parametrize(
    ("breaks", "words"),
    [
        (hang, "timed out after 1 s"),
        (exit_3, "exit status 3"),
        (exit_3_leaving_a_child, "exit status 3"),
        (raise_value_error, "ValueError: mine"),
    ],
)
def test_a_failing_call_fails_as_in_a_child_of_its_own(server, breaks, words):
    limits = sandbox.Limits(timeout_s=1, memory_mb=600)
    before = call(server, pid, limits=limits).value
    alone = sandbox.run(breaks, limits=limits)
    worked = call(server, breaks, limits=limits)
    assert words in alone.failure.message
    assert (worked.failure.kind, worked.failure.message) == (alone.failure.kind, alone.failure.message)
    after = call(server, pid, limits=limits)
    assert after.ok
    assert (after.value == before) == (breaks is raise_value_error)  # an ordinary exception keeps the worker


def start_strays() -> list[int]:
    """A child, and a daemon that left its parent: neither may outlive the call."""
    child = subprocess.Popen(["sleep", "60"])
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            time.sleep(60)
        os._exit(0)
    os.waitpid(middle, 0)
    os.close(write)
    return [child.pid, int(os.read(read, 32))]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_what_a_call_starts_ends_with_it(server):
    strays = call(server, start_strays).value
    assert call(server, pid).ok
    deadline = time.monotonic() + 5
    while any(alive(p) for p in strays) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in strays)


def hold(mb: int, name: str) -> int:
    setattr(builtins, name, bytearray(mb * 2**20))  # kept past the call, as a leak would be
    return os.getpid()


def take(mb: int) -> int:
    return len(bytearray(mb * 2**20)) // 2**20


def test_every_call_has_its_whole_memory_limit(server):
    worker = call(server, hold, 300, "_held").value
    got = call(server, take, 500)
    assert got.ok and got.value == 500  # 800 MiB in the process, with a limit of 600 MiB a call
    assert call(server, pid).value == worker
    too_much = call(server, take, 700)
    assert too_much.failure.kind == "memory"
    assert call(server, pid).value != worker  # a call that ran out of memory leaves a fresh worker


def test_a_worker_that_kept_too_much_is_replaced(server):
    worker = call(server, hold, 400, "_held").value
    assert call(server, hold, 400, "_more").value == worker
    # 800 MiB kept, more than the worker may spare: the next call gets its 600 MiB elsewhere
    assert call(server, take, 550).value == 550
    assert call(server, pid).value != worker


def leave_a_thread() -> int:
    """Returns at once; a thread it leaves replaces torch.equal a moment later."""
    import threading

    def later() -> None:
        time.sleep(0.2)
        torch.equal = lambda *args: True

    threading.Thread(target=later, daemon=True).start()
    return os.getpid()


def equal_and_pid() -> tuple:
    time.sleep(0.3)
    return torch.equal(torch.zeros(1), torch.ones(1)), os.getpid()


def test_a_thread_left_running_ends_the_worker(server):
    worker = call(server, leave_a_thread).value
    equal, elsewhere = call(server, equal_and_pid).value
    assert not equal and elsewhere != worker


def replace_equal() -> int:
    torch.equal = lambda *args: True
    return os.getpid()


def watched() -> None:
    from torchgrade.engine import guard

    guard.check(guard.Watch(watched))


def test_a_replacement_an_earlier_call_left_is_noticed(server):
    worker = call(server, replace_equal).value
    noticed = call(server, watched)
    assert noticed.failure.kind == "tampered" and "`torch.equal`" in noticed.failure.message
    assert call(server, pid).value != worker


def forge_done_over_a_fifo() -> None:
    os.mkfifo(os.getcwd() + ".pt")  # where the worker's result goes
    os.write(4, b".")  # "done", said early
    time.sleep(100)


def lock_the_worker_folder() -> int:
    os.chmod("..", 0)
    return os.getpid()


@pytest.mark.parametrize("attack", [forge_done_over_a_fifo, lock_the_worker_folder])
def test_the_fork_server_outlives_what_a_call_does_to_its_worker(server, attack):
    start = time.monotonic()
    call(server, attack)
    call(server, pid)  # may fail, as the attacker's own next call
    assert call(server, pid).ok
    assert time.monotonic() - start < 5
