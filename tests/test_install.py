"""A built wheel, installed (not editable) in a fresh environment, grades from anywhere.

The wheel is built from this checkout and installed into a new virtual environment of
its own; the environment borrows the test environment's dependencies (torch, pytest, …)
through a path file, which does not pull in the editable install of this checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh environment with the torchgrade wheel installed."""
    tmp = tmp_path_factory.mktemp("install")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("torchgrade-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert {"torchgrade/templates/terminal.txt.j2", "torchgrade/templates/gradescope/run_autograder.j2"} <= names
    assert not any(n.startswith(("graders/", "reference/", "exercises/")) for n in names)  # the course is not installed
    assert "[pytest11]" in entry_points and "grade = torchgrade.cli:entry" in entry_points

    env_dir = tmp / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir / "bin"


def test_the_wheel_grades_inside_the_course_and_from_anywhere(installed, tmp_path):
    where = subprocess.run(
        [str(installed / "python"), "-c", "import torchgrade; print(torchgrade.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(installed.parent) in where and str(ROOT) not in where  # the wheel, not this checkout

    inside = subprocess.run(
        [str(installed / "grade"), "exercises/05_training", "--device", "cpu"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert inside.returncode == 1, inside.stderr
    assert "not implemented yet" in inside.stdout and "Total: 0/100" in inside.stdout

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    outside = subprocess.run(
        [str(installed / "grade"), str(ROOT / "reference" / "05_training"), "--device", "cpu", "--json", "-"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert outside.returncode == 0, outside.stderr
    assert json.loads(outside.stdout)["score"] == 100
    assert list(tmp_path.iterdir()) == []
