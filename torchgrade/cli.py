"""``grade``: the command line, a thin layer over :mod:`torchgrade.engine.session` and :mod:`torchgrade.reports`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from torchgrade import bundle, committed, course, devices, release, reports
from torchgrade.batch import gradebook, grading, merge, outputs, roster, shards, store
from torchgrade.batch.progress import Progress
from torchgrade.course import UsageError
from torchgrade.engine import refcache, sandbox, session
from torchgrade.reports import json_report, terminal

# Options that grade, batch and the like share, declared once.
DEVICE = click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
TIMEOUT_FACTOR = click.option(
    "--timeout-factor",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Multiply every check's time limit (for slow machines).",
)
MEMORY_MB = click.option(
    "--memory-mb",
    type=click.IntRange(min=64),
    default=None,
    help="Memory limit of each check's process (default: the exercise's, 2048).",
)
SEED = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The run seed every scenario's inputs are drawn with; staff grade with one learners never saw.",
)


def jobs(what: str):
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help=f"{what} graded at the same time (default: the number of CPUs).",
    )


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
    epilog="Also: grade release OUT [EXERCISE ...], grade gradescope-bundle OUT.zip [EXERCISE ...], "
    "grade batch SUBMISSIONS --out OUT, "
    "grade merge OUT1 OUT2 ... --out OUT (see their --help).",
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
@DEVICE
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
@TIMEOUT_FACTOR
@MEMORY_MB
@jobs("Exercises")
@SEED
@click.option(
    "--no-cache",
    is_flag=True,
    help="Run the reference again rather than reuse its results from the cache ($TORCHGRADE_CACHE, "
    "default ~/.cache/torchgrade).",
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
    seed,
    no_cache,
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
        cache = refcache.default_folder()
        options = session.Options(
            device=_device_for({t.exercise.root for t in targets}, device, seed),
            timeout_factor=timeout_factor,
            memory_mb=memory_mb,
            jobs=jobs or session.cpus(),
            seed=seed,
            reference_cache=None if no_cache or cache is None else str(cache),
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


class _OneLineErrors(click.Command):
    """A subcommand whose usage errors, click's own included, are one line and exit status 2."""

    def main(self, args=None, prog_name=None, **extra):
        prog = prog_name or f"grade {self.name}"
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.ClickException as exc:
            click.echo(f"{prog}: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:  # Ctrl-C outside grading, where nothing is lost
            click.echo(f"{prog}: interrupted", err=True)
            sys.exit(130)


def _device_for(roots: set[Path], spec: str, seed: int) -> str:
    """The device to grade on; a release (no solutions) grades only what it has recordings for."""
    device = devices.resolve(spec)
    for root in sorted(roots):
        if not release.is_release(root):
            continue
        if seed:
            raise UsageError(
                f"--seed {seed}: {root} holds recorded reference results, not the solutions, so it grades with the "
                "seed they were recorded with; a hidden seed needs the course itself"
            )
        if device.startswith("cuda") and "cuda" not in release.recorded_kinds(root):
            if spec.strip().lower() != "auto":
                raise UsageError(
                    f"--device {spec}: {root} has reference results recorded on the CPU only; grade with --device cpu"
                )
            device = "cpu"
    return device


def _say_source(prog: str, source: committed.Snapshot) -> None:
    click.echo(f"{prog}: built from {source.describe()}")
    if source.left_out:
        click.echo(
            f"{prog}: left out, because they are not committed: {', '.join(source.left_out)} "
            "(commit them to include them)",
            err=True,
        )


@click.command(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("out", metavar="OUT.zip")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE ...]")
@SEED
def gradescope_bundle(out: str, exercise_ids: tuple[str, ...], seed: int) -> None:
    """Write OUT.zip, a Gradescope autograder for the committed course (default: every exercise)."""
    try:
        made = bundle.gradescope_bundle(_course_root(), exercise_ids, Path(out), seed)
    except (UsageError, OSError) as exc:
        click.echo(f"grade gradescope-bundle: {exc}", err=True)
        sys.exit(2)
    _say_source("grade gradescope-bundle", made.source)
    click.echo(
        f"wrote {out}: {made.files} files, grading {', '.join(e.id for e in made.exercises)}"
        + (f" with seed {seed}" if seed else "")
        + ". Upload it as the autograder of a Gradescope programming assignment."
    )


@click.command("release", cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("out", metavar="OUT")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE ...]")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda"]),
    default="cpu",
    show_default=True,
    help="cuda: also record the reference on the GPU, for learners who grade on one (and the CUDA-only checks).",
)
def release_course(out: str, exercise_ids: tuple[str, ...], device: str) -> None:
    """Write OUT, the learners' repository: exercises, checks and recorded reference results, no solutions."""
    try:
        recorded = ("cpu",) if device == "cpu" else ("cpu", devices.resolve("cuda"))
        made = release.release(_course_root(), Path(out), exercise_ids, recorded)
    except (UsageError, OSError) as exc:
        click.echo(f"grade release: {exc}", err=True)
        sys.exit(2)
    except release.ReleaseError as exc:
        click.echo(f"grade release: {exc}", err=True)
        sys.exit(1)
    _say_source("grade release", made.source)
    click.echo(
        f"wrote {out}: {', '.join(made.exercises)}, with the reference's results recorded on "
        f"{' and '.join(made.devices)} with torch {made.torch_version}. Push it as the assignment's template repository."
    )


def _course_root() -> Path:
    root = course.find_root(Path.cwd())
    if root is None:
        raise UsageError("no course found (a folder with pyproject.toml and graders/) above the current folder")
    return root


def _exercises(root: Path, ids: str | None) -> tuple[course.Exercise, ...]:
    if not ids:
        return tuple(course.all_exercises(root))
    return tuple(course.load_exercise(root, e) for e in sorted({e.strip() for e in ids.split(",") if e.strip()}))


def _students(roster_file: str | None) -> list[roster.Student] | None:
    return roster.read(Path(roster_file)) if roster_file else None


def _finish(prog: str, out: Path, manifest: store.Manifest, students: list[roster.Student] | None) -> None:
    """Write OUT's gradebook, item analysis and summary, and say what they hold."""
    written = outputs.write(out, manifest, students)
    for m in written.mismatches:
        click.echo(f"{prog}: roster: {m.name}: {m.problem}")
    seen = gradebook.overview(written.results)
    files = [outputs.GRADEBOOK, outputs.CHECKS, outputs.SUMMARY] + (
        [outputs.MISMATCHES] if students is not None else []
    )
    click.echo(
        f"{prog}: {seen.count} submissions, mean {seen.mean}% ("
        + ", ".join(f"{n} {status}" for status, n in sorted(seen.statuses.items()))
        + f"); wrote {', '.join(str(out / f) for f in files)} and the reports in {out / 'submissions'}"
    )


@click.command(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("submissions")
@click.option(
    "--out", required=True, metavar="OUT", help="The folder for the gradebook, the reports and what resumes a batch."
)
@click.option("--exercises", "exercise_ids", metavar="NN_topic,...", help="Grade only these (default: all).")
@DEVICE
@jobs("Submissions")
@TIMEOUT_FACTOR
@MEMORY_MB
@SEED
@click.option("--force", is_flag=True, help="Grade again what OUT already holds a result for.")
@click.option("--roster", "roster_file", metavar="FILE", help="gh classroom assignment-grades CSV: adds who is who.")
@click.option(
    "--shard", metavar="K/N|auto|auto/N", help="Grade one shard: K of N, or from Slurm (auto), Kubernetes (auto/N)."
)
def batch(
    submissions, out, exercise_ids, device, jobs, timeout_factor, memory_mb, seed, force, roster_file, shard
) -> None:
    """Grade every submission (a repository folder or .zip) in SUBMISSIONS with this course; write OUT."""
    out_dir = Path(out)
    try:
        root = _course_root()
        request = grading.Request(
            submissions=Path(submissions),
            out=out_dir,
            root=root,
            exercises=_exercises(root, exercise_ids),
            options=session.Options(
                device=_device_for({root}, device, seed),
                timeout_factor=timeout_factor,
                memory_mb=memory_mb,
                jobs=jobs or session.cpus(),
                reference_cache=str(out_dir.resolve() / ".cache" / "reference"),
                seed=seed,
            ),
            shard=shards.parse(shard, os.environ) if shard else None,
            force=force,
        )
        students = _students(roster_file)
        plan = grading.prepare(request)
    except UsageError as exc:
        click.echo(f"grade batch: {exc}", err=True)
        sys.exit(2)
    m, kept = plan.manifest, len(plan.copies) - len(plan.pending)
    click.echo(
        f"grade batch: course {root} (version {m.course_version}), {', '.join(m.exercises)}; "
        f"{len(m.discovered)} submissions in {submissions}"
        + (f" (shard {m.shard}: {len(m.given)})" if m.shard else "")
        + f"; {len(plan.pending)} to grade"
        + (f", {kept} already graded (--force grades them again)" if kept else "")
    )
    sandbox.become_subreaper()  # what a killed exercise process leaves behind comes back to us, to be reaped
    progress = Progress(len(plan.pending), sys.stderr, sys.stderr.isatty())
    try:
        grading.grade(request, plan, progress.finished)
    except KeyboardInterrupt:
        sandbox.reap_strays()
        progress.close()
        click.echo(
            f"grade batch: interrupted; {progress.done} graded and kept: run the same command to continue", err=True
        )
        sys.exit(130)
    progress.close()
    _finish("grade batch", out_dir, m, students)


@click.command("merge", cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("shard_outs", nargs=-1, required=True, metavar="OUT1 OUT2 ...")
@click.option("--out", required=True, metavar="OUT", help="The folder for the combined outputs.")
@click.option("--roster", "roster_file", metavar="FILE", help="gh classroom assignment-grades CSV: adds who is who.")
def merge_outputs(shard_outs, out, roster_file) -> None:
    """Combine the OUT folders of grade batch --shard runs into one, as if graded in one run."""
    try:
        students = _students(roster_file)
        merged = merge.merge([Path(s) for s in shard_outs], Path(out))
    except UsageError as exc:
        click.echo(f"grade merge: {exc}", err=True)
        sys.exit(2)
    for note in merged.notes:
        click.echo(f"grade merge: note: {note}")
    if merged.missing:
        click.echo(f"grade merge: missing (found, but graded by no shard): {', '.join(merged.missing)}")
    if merged.twice:
        click.echo(f"grade merge: graded twice (kept from the first OUT named): {', '.join(merged.twice)}")
    _finish("grade merge", Path(out), merged.manifest, students)
    sys.exit(1 if merged.missing or merged.twice else 0)


SUBCOMMANDS: dict[str, click.Command] = {
    "gradescope-bundle": gradescope_bundle,
    "release": release_course,
    "batch": batch,
    "merge": merge_outputs,
}


def entry() -> None:
    """The ``grade`` console script: ``grade release|gradescope-bundle|batch|merge ...`` or ``grade PATH ...``."""
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name in SUBCOMMANDS:
        SUBCOMMANDS[name].main(sys.argv[2:], prog_name=f"grade {name}")
    else:
        main()
