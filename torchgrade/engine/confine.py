"""Confine a sandbox child with what the kernel offers, before any learner code runs.

Each layer is applied where the kernel and the process's privileges allow, and named in
:data:`APPLIED` (the report's ``sandbox`` field lists them). They hold when ``grade``
runs as root, where dropping to another user may not be possible:

``session``          its own session and process group (``setsid``): killed as one, and
                     out of reach of a terminal's signals.
``no_new_privs``     ``prctl(PR_SET_NO_NEW_PRIVS)``: nothing it runs gains privileges.
``network``          a new, empty network namespace (``unshare(CLONE_NEWNET)``, as root):
                     no route anywhere, not even to the machine's own services.
``landlock-files``   Landlock ABI ≥ 1 (Linux 5.13): read and execute only beneath the Python
                     installation and the system folders, read the learner's own module,
                     write only the child's own temporary folder (plus ``/dev/shm`` for
                     DataLoader workers). The course (``reference/``, the checks, recorded
                     results, other submissions) is out of reach, even for root.
``landlock-tcp``     Landlock ABI ≥ 4 (Linux 6.7): no TCP ``connect`` or ``bind``.
``landlock-signals`` Landlock ABI ≥ 6 (Linux 6.12): no signal to any process outside the
                     child's own domain, so learner code cannot kill or stop ``grade``.
``nobody``           as root, where the user ``nobody`` can run this Python: learner code
                     runs as ``nobody`` (which also drops every capability).
``capabilities``     as root otherwise: every capability dropped (no reboot, no module
                     loading, no raw devices) once the layers above are in place.

The system calls are made through ``ctypes``; their numbers are the same on x86-64 and
arm64 (the generic table): ``landlock_create_ruleset`` 444, ``landlock_add_rule`` 445,
``landlock_restrict_self`` 446. Where a layer is missing (older kernels, macOS), grading
works all the same and the report says what was not in force.
"""

from __future__ import annotations

import ctypes
import os
import resource
import site
import struct
import sys
from pathlib import Path

APPLIED: list[str] = []  # the layers in force in this process, in the order applied
LAYERS = (
    "session",
    "no_new_privs",
    "network",
    "landlock-files",
    "landlock-tcp",
    "landlock-signals",
    "nobody",
    "capabilities",
)

#: What each protection stops, and the layers that provide it (any one suffices).
PROTECTIONS = {
    "files": ("landlock-files",),  # reading the reference, writing the course
    "network": ("network", "landlock-tcp"),
    "signals": ("landlock-signals",),  # killing or stopping grade itself
}


def missing(applied: list[str]) -> list[str]:
    """The protections that none of the ``applied`` layers provides."""
    return [name for name, layers in PROTECTIONS.items() if not set(layers) & set(applied)]


_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_CLONE_NEWNET = 0x40000000
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine) if hasattr(os, "uname") else None

# Landlock filesystem rights (linux/landlock.h)
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ALL_V1 = (1 << 13) - 1  # execute … make_sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3 (ABI 5's ioctl right is left unhandled: CUDA needs ioctls)
_READ = _EXECUTE | _READ_FILE | _READ_DIR
_TCP = (1 << 0) | (1 << 1)  # bind, connect (ABI 4)
_SCOPES = (1 << 0) | (1 << 1)  # abstract unix sockets, signals (ABI 6)

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers; 0 when it offers none."""
    if _libc is None:
        return 0
    version = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _python_paths(private: tuple[str, ...]) -> list[str]:
    """The Python installation (interpreter, standard library, installed packages, also a
    virtual environment inside the course), and the other import paths outside ``private``."""
    installed = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__)}
    installed |= set(site.getsitepackages()) | {site.getusersitepackages()}
    installed |= {p for p in sys.path if {"site-packages", "dist-packages"} & set(Path(p).parts)}
    inside = tuple(os.path.realpath(p) + os.sep for p in private)
    extra = {p for p in sys.path if p and not (os.path.realpath(p) + os.sep).startswith(inside)}
    return sorted(p for p in installed | extra if p and os.path.isdir(p))


_SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc", "/sys", "/opt")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/shm")


def _gpu_devices() -> list[str]:
    try:
        return ["/dev/" + d for d in os.listdir("/dev") if d.startswith(("nvidia", "dri"))]
    except OSError:
        return []


def _landlock(abi: int, readable: list[str], writable: list[str]) -> list[str]:
    """Restrict this process to ``readable`` and ``writable`` paths; returns the layers applied."""
    handled = _ALL_V1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    net, scoped = (_TCP if abi >= 4 else 0), (_SCOPES if abi >= 6 else 0)
    attr = struct.pack("=QQQ", handled, net, scoped)[: 24 if abi >= 6 else 16 if abi >= 4 else 8]
    ruleset = _libc.syscall(_SYS_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return []
    try:
        for paths, access in ((readable, _READ), (writable, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    # a file takes only file rights; a folder takes all
                    rights = (
                        access if os.path.isdir(path) else access & (_EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE)
                    )
                    rule = struct.pack("=Qi", rights, fd)
                    _libc.syscall(_SYS_ADD_RULE, ruleset, ctypes.c_int(_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0))
                finally:
                    os.close(fd)
        if _libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            return []
    finally:
        os.close(ruleset)
    return ["landlock-files"] + (["landlock-tcp"] if net else []) + (["landlock-signals"] if scoped else [])


def _drop_capabilities() -> bool:
    if _SYS_CAPSET is None:
        return False
    header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = bytes(24)  # two {effective, permitted, inheritable} sets, all empty
    return _libc.syscall(_SYS_CAPSET, header, data) == 0


def apply(
    workdir: str, learner_file: str | None, private: tuple[str, ...] = (), nobody: int | None = None
) -> list[str]:
    """Confine this process (a freshly forked sandbox child); returns and records the layers applied.

    ``private``: folders kept out of reach even where an import path leads into them (the
    course). ``nobody``: the uid (and gid) to continue as, when running as root and that user
    can run this Python; otherwise root continues without capabilities.
    """
    APPLIED.clear()
    try:
        os.setsid()
        APPLIED.append("session")
    except OSError:
        pass
    if _libc is None:
        return APPLIED
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        APPLIED.append("no_new_privs")
    if os.geteuid() == 0 and _libc.unshare(_CLONE_NEWNET) == 0:
        APPLIED.append("network")
    abi = landlock_abi()
    if abi:
        readable = _python_paths(private) + [p for p in _SYSTEM if os.path.exists(p)]
        readable += [learner_file] if learner_file else []
        writable = [workdir, os.path.dirname(workdir), *(p for p in _DEVICES if os.path.exists(p)), *_gpu_devices()]
        APPLIED.extend(_landlock(abi, readable, writable))
    if os.geteuid() == 0 and nobody is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))
        os.setgroups([])
        os.setgid(nobody)
        os.setuid(nobody)
        APPLIED.append("nobody")
    elif os.geteuid() == 0 and _drop_capabilities():
        APPLIED.append("capabilities")
    return APPLIED
