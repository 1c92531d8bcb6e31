"""``grade``: the command line, a thin layer over :mod:`torchgrade.engine.session` and :mod:`torchgrade.reports`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from torchgrade import bundle, course, devices, reports
from torchgrade.course import UsageError
from torchgrade.engine import sandbox, session
from torchgrade.reports import json_report, terminal


def _targets(paths: tuple[str, ...], all_root: str | None) -> list[course.Target]:
    if all_root is not None:
        root = course.find_root(Path(all_root or "."))
        if root is None:
            raise UsageError(f"--all {all_root or '.'}: no course found (a folder with pyproject.toml and graders/)")
        return [course.resolve(os.path.relpath(ex.stub_dir), root) for ex in course.all_exercises(root)] + [
            course.resolve(p, None) for p in paths
        ]
    if not paths:
        raise UsageError("nothing to grade: give a PATH (e.g. exercises/05_training) or --all")
    return [course.resolve(p, None) for p in paths]


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Also: grade gradescope-bundle OUT.zip [EXERCISE ...] (see grade gradescope-bundle --help).",
)
@click.argument("paths", nargs=-1)
@click.option(
    "--all",
    "all_root",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ROOT]",
    help="Grade every exercise under ROOT/exercises (default: this course).",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option(
    "--json", "json_file", metavar="FILE", help="Write the JSON report ('-' for standard output, and nothing else)."
)
@click.option("--html", "html_file", metavar="FILE", help="Write a self-contained HTML report (for learners).")
@click.option(
    "--markdown",
    "markdown_file",
    metavar="FILE",
    help="Write a Markdown summary. In GitHub Actions it is always added to the job summary too.",
)
@click.option("--junit", "junit_file", metavar="FILE", help="Write JUnit XML (GitLab, Jenkins).")
@click.option("--gradescope", "gradescope_file", metavar="FILE", help="Write Gradescope's results.json.")
@click.option("--prairielearn", "prairielearn_file", metavar="FILE", help="Write PrairieLearn's results.json.")
@click.option("--classroom50", "classroom50_file", metavar="FILE", help="Write Classroom 50's result.json.")
@click.option(
    "--classroom",
    is_flag=True,
    help="Set the step output 'result' for GitHub Classroom's grading reporter ($GITHUB_OUTPUT; else print it).",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    default=100,
    show_default=True,
    metavar="PERCENT",
    help="Exit with status 1 below this score.",
)
@click.option(
    "--timeout-factor",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Multiply every check's time limit (for slow machines).",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=64),
    default=None,
    help="Memory limit of each check's process (default: the exercise's, 2048).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Exercises graded at the same time (default: the number of CPUs).",
)
def main(
    paths,
    all_root,
    device,
    json_file,
    html_file,
    markdown_file,
    junit_file,
    gradescope_file,
    prairielearn_file,
    classroom50_file,
    classroom,
    min_score,
    timeout_factor,
    memory_mb,
    jobs,
) -> None:
    """Grade the PyTorch exercise implementation(s) at PATH against the reference."""
    files = {
        "html": html_file,
        "markdown": markdown_file,
        "junit": junit_file,
        "gradescope": gradescope_file,
        "prairielearn": prairielearn_file,
        "classroom50": classroom50_file,
    }
    try:
        reports.check_options(json_file, files, classroom, os.environ)
        targets = _targets(paths, all_root)
        options = session.Options(
            device=devices.resolve(device),
            timeout_factor=timeout_factor,
            memory_mb=memory_mb,
            jobs=jobs or session.cpus(),
        )
    except UsageError as exc:
        click.echo(f"grade: {exc}", err=True)
        sys.exit(2)
    sandbox.become_subreaper()  # what a killed exercise process leaves behind comes back to us, to be reaped
    report = session.grade(targets, options)
    to_stderr = reports.stdout_taken(json_file, files, classroom, os.environ)
    stream = sys.stderr if to_stderr else sys.stdout
    click.echo(terminal.terminal(report, color=stream.isatty()), nl=False, file=stream)
    try:
        if json_file:
            reports.write_file(json_file, json_report.json_text(report))
        reports.write_reports(report, files, classroom=classroom)
    except reports.OutputError as exc:
        click.echo(f"grade: {exc}", err=True)
        sys.exit(2)
    sys.exit(0 if report.max_score > 0 and report.percent >= min_score else 1)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("out", metavar="OUT.zip")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE ...]")
def gradescope_bundle(out: str, exercise_ids: tuple[str, ...]) -> None:
    """Write OUT.zip, a Gradescope autograder for this course (default: every exercise)."""
    try:
        root = course.find_root(Path.cwd())
        if root is None:
            raise UsageError("no course found (a folder with pyproject.toml and graders/) above the current folder")
        exercises = [course.load_exercise(root, e) for e in exercise_ids] or course.all_exercises(root)
        count = bundle.gradescope_bundle(root, exercises, Path(out))
    except (UsageError, OSError) as exc:
        click.echo(f"grade gradescope-bundle: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"wrote {out}: {count} files, grading {', '.join(e.id for e in exercises)}. "
        "Upload it as the autograder of a Gradescope programming assignment."
    )


def entry() -> None:
    """The ``grade`` console script: ``grade gradescope-bundle ...`` or ``grade PATH ...``."""
    if sys.argv[1:2] == ["gradescope-bundle"]:
        gradescope_bundle.main(sys.argv[2:], prog_name="grade gradescope-bundle")
    else:
        main()
