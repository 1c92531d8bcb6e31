"""Every report format, read back by a real consumer: json, xml.etree / junitparser,
html.parser, base64 — and the platform rules each consumer relies on (numbers not
strings, exact sums, scores within bounds, required keys).

Reports are built straight from the dataclasses of torchgrade.results (no grading, fast); one
end-to-end test runs `grade` on the reference with every format at once.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from torchgrade import cli, reports
from torchgrade.reports import classroom, classroom50, common, gradescope, html, junit, markdown, prairielearn
from torchgrade.results import CheckResult as C
from torchgrade.results import ExerciseResult as E
from torchgrade.results import Fault, Report

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM = next((path for path in map(shutil.which, BROWSERS) if path), None)  # headless Chromium, if on PATH

TRACEBACK = (
    'Traceback (most recent call last):\n  File "exercises/05_training/training.py", line 12, in train_step\n'
    "    loss.backward()\nRuntimeError: element 0 of tensors does not require grad <script>alert(1)</script>\n"
)
CURVE = {
    "title": "Validation accuracy",
    "series": {"your code": [0.4, 0.7, 0.8], "reference": [0.4, 0.8, 0.95]},
    "x_label": "epoch",
    "y_label": "accuracy",
}
LOAD_ERROR = "amp.py has a syntax error on line 3: invalid syntax"
LOAD_TRACE = '  File "amp.py", line 3\n    def f(:\n          ^\nSyntaxError: invalid syntax\n'


def training() -> E:
    """Passed, failed (with learner output), skipped, errored, and fractional points."""
    return E(
        "05_training",
        "Training loops",
        "exercises/05_training",
        [
            C(
                "updates_parameters",
                "train_step: parameters after one step match the reference",
                "passed",
                10,
                duration_s=0.117,
            ),
            C(
                "clears_gradients",
                "train_step: clears old gradients before backward",
                "failed",
                10,
                message="`fc1.weight` differs | max abs diff 3.1e-02 at [4, 7]\nIs `optimizer.zero_grad()` called before `backward()`?",
                duration_s=0.08,
                output="epoch 1 loss 0.93\n<b>bold</b> ``` ]]> \x1b[31mred\x1b[0m \x00 \x07 nul\n",
            ),
            C(
                "moves_batch",
                "train_step: moves the batch to the device",
                "skipped",
                5,
                message="needs CUDA: this check only means something on a GPU, and grading runs on the CPU",
            ),
            C("fit_small", "fit: a tenth of a point", "passed", 0.1, duration_s=0.01, plots=[CURVE]),
            C("fit_smaller", "fit: two tenths of a point", "passed", 0.2, duration_s=0.01),
            C(
                "eval_mode",
                "evaluate: the model is in evaluation mode",
                "failed",
                5,
                message="Your code raised RuntimeError: element 0 of tensors does not require grad <script>alert(1)</script>",
                details=TRACEBACK,
                duration_s=0.05,
            ),
            C(
                "accuracy",
                "evaluate: accuracy matches the reference",
                "error",
                5,
                message="grader error: the reference failed",
                details="KeyError: 'x'",
                duration_s=0.02,
            ),
        ],
    )


def unloadable() -> E:
    """A module that could not be loaded: error set, every check failed, score 0."""
    message = f"Your module could not be loaded, so this check could not run: {LOAD_ERROR}"
    return E(
        "06_amp",
        "Mixed precision & <friends>",
        "exercises/06_amp",
        [
            C("autocast", "autocast: forward runs under autocast", "failed", 4, message=message, details=LOAD_TRACE),
            C("scaler", "scaler: GradScaler scales the loss", "failed", 6, message=message, details=LOAD_TRACE),
        ],
        error=LOAD_ERROR,
    )


def uncollected() -> E:
    """The grader could not even collect the checks (a fault of the grader)."""
    return E(
        "07_data",
        "Data loading",
        "exercises/07_data",
        [],
        error="grader error: the checks of this exercise could not be collected\nImportError: no module named foo",
        fault=Fault.GRADER,
    )


def sample(*exercises: E) -> Report:
    return Report(
        list(exercises or (training(), unloadable())), device="cpu", torch_version="2.13.0+cpu", duration_s=3.21
    )


def fractional() -> Report:
    ex = E(
        "09_frac",
        "Fractions",
        "exercises/09_frac",
        [
            C("a", "a tenth", "passed", 0.1),
            C("b", "two tenths", "passed", 0.2),
            C("c", "half", "failed", 0.5, message="no"),
        ],
    )
    return Report([ex], device="cpu", torch_version="2.13.0+cpu")


def all_skipped() -> Report:
    ex = E(
        "08_cuda", "CUDA", "exercises/08_cuda", [C("k", "kernel runs on the GPU", "skipped", 5, message="needs CUDA")]
    )
    return Report([ex], device="cpu", torch_version="2.13.0+cpu")


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def F(x) -> Fraction:
    return Fraction(str(x))


# --------------------------------------------------------------------------- the model's sums


def test_fractional_points_sum_exactly():
    report = fractional()
    assert report.score == 0.3 and report.max_score == 0.8
    assert "0.30000000000000004" not in html.html(report) + markdown.markdown(report) + junit.junit(report)
    for text in (
        json.dumps(gradescope.gradescope(report)),
        json.dumps(classroom.classroom_result(report)),
        json.dumps(prairielearn.prairielearn(report)),
    ):
        assert "0.30000000000000004" not in text and "0.7999999999999999" not in text


def test_num_writes_points_as_people_do():
    assert [common.num(x) for x in (10, 87.5, 0.3, 10.0, 0.0, 1234567.5)] == [
        "10",
        "87.5",
        "0.3",
        "10",
        "0",
        "1234567.5",
    ]


# --------------------------------------------------------------------------- Gradescope


def test_gradescope_results_follow_the_spec():
    report = sample(training(), unloadable(), uncollected())
    data = json.loads(reports.FILE_FORMATS["gradescope"](report))
    assert {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility", "tests"} <= set(
        data
    )
    assert is_number(data["score"]) and is_number(data["execution_time"])
    assert data["score"] == report.score == 10.3
    assert data["visibility"] in {"hidden", "after_due_date", "after_published", "visible"}
    assert data["stdout_visibility"] in {"hidden", "after_due_date", "after_published", "visible"}
    assert data["output_format"] in {"text", "html", "simple_format", "md", "ansi"}
    numbers = [t["number"] for t in data["tests"]]
    assert len(numbers) == len(set(numbers))
    for t in data["tests"]:
        assert {"score", "max_score", "status", "name", "number", "output", "tags", "visibility"} <= set(t)
        assert is_number(t["score"]) and is_number(t["max_score"]) and 0 <= t["score"] <= t["max_score"]
        assert t["status"] in {"passed", "failed"} and isinstance(t["number"], str) and isinstance(t["tags"], list)
    assert sum(F(t["score"]) for t in data["tests"]) == F(data["score"])
    assert sum(F(t["max_score"]) for t in data["tests"]) == F(report.max_score)


def test_gradescope_leaves_skipped_checks_out_of_tests_but_says_why():
    data = gradescope.gradescope(sample())
    names = [t["name"] for t in data["tests"]]
    assert not any("moves the batch" in n for n in names)
    assert "moves the batch to the device" in data["output"] and "needs CUDA" in data["output"]


def test_gradescope_tells_the_learner_what_went_wrong():
    data = gradescope.gradescope(sample(training(), unloadable(), uncollected()))
    by_name = {t["name"]: t for t in data["tests"]}
    failed = by_name["05_training · train_step: clears old gradients before backward"]
    assert failed["status"] == "failed" and "zero_grad" in failed["output"] and "epoch 1 loss" in failed["output"]
    assert "\x1b" not in failed["output"] and "\x00" not in failed["output"]
    assert by_name["05_training · evaluate: accuracy matches the reference"]["status"] == "failed"
    assert by_name["07_data: could not be graded"]["max_score"] == 0
    assert LOAD_ERROR in data["output"]


# --------------------------------------------------------------------------- PrairieLearn


def test_prairielearn_results_follow_the_spec():
    report = sample(training(), unloadable(), uncollected())
    data = json.loads(reports.FILE_FORMATS["prairielearn"](report))
    assert data["gradable"] is True
    assert isinstance(data["score"], float) and 0 <= data["score"] <= 1
    assert data["score"] == float(F(report.score) / F(report.max_score))
    assert isinstance(data["message"], str) and isinstance(data["output"], str)
    for t in data["tests"]:
        assert set(t) == {"name", "description", "points", "max_points", "message", "output"}
        assert is_number(t["points"]) and is_number(t["max_points"]) and 0 <= t["points"] <= t["max_points"]
    assert sum(F(t["points"]) for t in data["tests"]) == F(report.score)
    assert sum(F(t["max_points"]) for t in data["tests"]) == F(report.max_score)
    skipped = [t for t in data["tests"] if t["message"].startswith("Skipped")]
    assert len(skipped) == 1 and skipped[0]["max_points"] == 0 and "needs CUDA" in skipped[0]["message"]


@pytest.mark.parametrize("report", [sample(unloadable()), all_skipped()], ids=["unloadable", "all-skipped"])
def test_prairielearn_marks_what_could_not_be_verified_as_not_gradable(report):
    data = prairielearn.prairielearn(report)
    assert data["gradable"] is False and data["score"] == 0.0
    assert data["format_errors"] and all(isinstance(e, str) for e in data["format_errors"])


# --------------------------------------------------------------------------- Classroom 50


def test_classroom50_result_follows_the_contract():
    env = {
        "CLASSROOM": "dl-2026",
        "ASSIGNMENT": "training",
        "SUBMISSION_TAG": "submit/x",
        "COMMIT_URL": "https://example.invalid/c",
        "RELEASE_URL": "https://example.invalid/r",
    }
    report = sample(training(), unloadable(), uncollected())
    data = classroom50.classroom50(report, env=env)
    assert data["schema"] == "classroom50/result/v1"
    assert (data["classroom"], data["assignment"], data["submission"]) == ("dl-2026", "training", "submit/x")
    assert data["review"] == data["commit"] == "https://example.invalid/c"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["datetime"])
    assert type(data["score"]) is int and type(data["max-score"]) is int
    assert data["score"] == sum(t["score"] for t in data["tests"])
    assert data["max-score"] == sum(t["max-score"] for t in data["tests"])
    for t in data["tests"]:
        assert {"test-name", "passed", "score", "max-score"} <= set(t)
        assert type(t["score"]) is int and type(t["max-score"]) is int and isinstance(t["passed"], bool)
        assert 0 <= t["score"] <= t["max-score"] and t["test-name"]
    assert not any("moves the batch" in t["test-name"] for t in data["tests"])
    # fractional points scale (0.1 → ×10) instead of rounding: the ratio stays exact
    assert Fraction(data["score"], data["max-score"]) == F(report.score) / F(report.max_score)
    assert (data["score"], data["max-score"]) == (103, 403)


def test_classroom50_keeps_whole_points_as_they_are():
    report = sample(unloadable())
    data = classroom50.classroom50(report, env={})
    assert (data["score"], data["max-score"]) == (0, 10)
    assert all(t["passed"] is False for t in data["tests"])


@pytest.mark.parametrize("values,scale", [([10, 5], 1), ([0.5, 2], 10), ([0.25, 1], 100), ([0.1, 0.2], 10), ([], 1)])
def test_points_scale(values, scale):
    assert classroom50.points_scale(values) == scale


# --------------------------------------------------------------------------- GitHub Classroom


def decode(encoded: str) -> dict:
    assert re.fullmatch(r"[A-Za-z0-9+/]+=*", encoded)
    return json.loads(base64.b64decode(encoded).decode("utf-8"))


def test_classroom_runner_result_round_trips_through_base64():
    report = sample(training(), unloadable(), uncollected())
    data = decode(classroom.classroom_output(report))
    assert data == json.loads(json.dumps(classroom.classroom_result(report)))
    assert data["version"] == 1 and data["status"] in {"pass", "fail", "error"}
    assert is_number(data["max_score"]) and data["max_score"] == report.max_score > 0
    assert isinstance(data["tests"], list) and data["tests"]
    for t in data["tests"]:
        assert {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"} <= set(t)
        assert t["status"] in {"pass", "fail", "error"} and is_number(t["score"]) and is_number(t["duration"])
        assert isinstance(t["line_no"], int) and isinstance(t["message"], str)
    # the reporter records Σ tests[].score out of max_score: exact, numeric
    assert sum(F(t["score"]) for t in data["tests"]) == F(report.score)
    assert not any("moves the batch" in t["name"] for t in data["tests"])


def test_classroom_status_follows_the_checks():
    assert classroom.classroom_result(sample(training()))["status"] == "error"  # a grader error in it
    assert classroom.classroom_result(sample(unloadable()))["status"] == "fail"  # the learner's syntax error
    passing = E(
        "05_training",
        "Training loops",
        "p",
        [C("a", "a", "passed", 3), C("s", "s", "skipped", 2, message="needs CUDA")],
    )
    result = classroom.classroom_result(sample(passing))
    assert result["status"] == "pass" and result["max_score"] == 3 and len(result["tests"]) == 1


def test_classroom_nothing_verified_is_an_error_with_points_to_record():
    data = classroom.classroom_result(all_skipped())
    assert data["status"] == "error" and data["max_score"] == 5 and data["tests"]
    assert sum(t["score"] for t in data["tests"]) == 0


def test_classroom_output_fits_in_an_environment_variable():
    huge = "x" * 50_000
    checks = [C(f"c{i}", f"check {i}", "failed", 1, message=huge, output=huge) for i in range(40)]
    encoded = classroom.classroom_output(sample(E("05_training", "T", "p", checks)))
    assert len(encoded) <= classroom.CLASSROOM_MAX_B64
    assert len(decode(encoded)["tests"]) == 40


def test_classroom_step_output_goes_to_github_output(tmp_path, capsys):
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n")
    classroom.write_classroom(sample(), {"GITHUB_OUTPUT": str(out)}, sys.stdout)
    assert capsys.readouterr().out == ""
    lines = out.read_text().splitlines()
    assert lines[0] == "earlier=1" and lines[1].startswith("result=") and len(lines) == 2
    assert decode(lines[1].removeprefix("result="))["version"] == 1


def test_classroom_without_github_output_prints_the_base64(capsys):
    classroom.write_classroom(sample(), {}, sys.stdout)
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and decode(printed.strip())["version"] == 1


# --------------------------------------------------------------------------- JUnit XML


def test_junit_xml_parses_and_maps_every_status():
    report = sample(training(), unloadable(), uncollected())
    root = ET.fromstring(junit.junit(report).encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("10", "4", "2", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["05_training", "06_amp", "07_data"]
    cases = {c.get("name"): c for c in suites["05_training"].iter("testcase")}
    for case in root.iter("testcase"):
        assert case.get("classname") and case.get("name") and case.get("file") and float(case.get("time")) >= 0
    failed = cases["train_step: clears old gradients before backward"]
    assert "fc1.weight" in failed.find("failure").get("message")
    assert "<b>bold</b>" in failed.find("system-out").text and "\x00" not in failed.find("system-out").text
    assert cases["evaluate: accuracy matches the reference"].find("error") is not None
    assert "needs CUDA" in cases["train_step: moves the batch to the device"].find("skipped").get("message")
    assert "<script>alert(1)</script>" in cases["evaluate: the model is in evaluation mode"].find("failure").text
    props = {p.get("name"): p.get("value") for p in cases["fit: two tenths of a point"].find("properties")}
    assert (props["score"], props["max_score"]) == ("0.2", "0.2")
    suite_props = {p.get("name"): p.get("value") for p in suites["05_training"].find("properties")}
    assert (suite_props["score"], suite_props["max_score"]) == ("10.3", "30.3")
    assert suites["06_amp"].get("failures") == "2" and LOAD_ERROR in ET.tostring(suites["06_amp"], encoding="unicode")
    assert suites["07_data"].find("testcase/error") is not None


def test_junit_xml_reads_with_junitparser(tmp_path):
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "junit.xml"
    path.write_text(junit.junit(sample(training(), unloadable(), uncollected())), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    outcomes = {}
    for suite in xml:
        for case in suite:
            kind = "passed" if case.is_passed else type(case.result[0]).__name__
            outcomes[(suite.name, case.name)] = kind
    assert outcomes[("05_training", "train_step: parameters after one step match the reference")] == "passed"
    assert outcomes[("05_training", "train_step: clears old gradients before backward")] == "Failure"
    assert outcomes[("05_training", "evaluate: accuracy matches the reference")] == "Error"
    assert outcomes[("05_training", "train_step: moves the batch to the device")] == "Skipped"
    assert outcomes[("07_data", "(could not be graded)")] == "Error"
    assert sum(1 for v in outcomes.values() if v == "Failure") == 4


# --------------------------------------------------------------------------- HTML


class _Checker(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    SVG_LEAVES = {"circle", "rect", "line", "polyline", "path"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.tags, self.refs = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action", "style")]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "style")]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse_html(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker


def test_html_is_well_formed_self_contained_and_escaped():
    report = sample(training(), unloadable(), uncollected())
    page = html.html(report)
    checker = parse_html(page)
    assert checker.problems == [] and checker.stack == []
    assert page.startswith("<!DOCTYPE html>") and "script" not in checker.tags and "iframe" not in checker.tags
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"url\(|@import|https?://", page.split("</style>")[0], re.I)
    assert all(not re.search(r"https?:|//", ref) for ref in checker.refs)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Mixed precision &amp; &lt;friends&gt;" in page and "<b>bold</b>" not in page
    assert "\x00" not in page and "\x1b" not in page
    for ex in report.exercises:
        assert f'id="ex-{ex.id}"' in page
        for c in ex.checks:
            assert html.html_inline(c.name) in page
    assert "<code>optimizer.zero_grad()</code>" in page
    assert "<details" in page and "<svg" in page  # collapsible output; the score ring and bar chart
    assert page.count('class="check ') == sum(len(ex.checks) for ex in report.exercises)
    assert "10.3" in page and "40.3" in page


def test_html_draws_the_curves_checks_attach():
    page = html.html(sample(training()))
    assert page.count("<polyline") == 2 and "Validation accuracy" in page
    assert parse_html(page).problems == []
    chart = html.line_chart({"title": "<t>", "series": {"a": [1.0, float("nan"), 3.0], "b": [2.0]}})
    assert chart["lines"][0]["points"].count(",") == 2


# --------------------------------------------------------------------------- Markdown


def test_markdown_tables_survive_learner_text():
    report = sample(training(), unloadable(), uncollected())
    text = markdown.markdown(report)
    assert text.startswith("## ") and "10.3 / 40.3 points" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    header_cells = {}
    for line in rows:
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        header_cells.setdefault(len(cells), 0)
        header_cells[len(cells)] += 1
    assert set(header_cells) <= {3}, header_cells  # a pipe in a message never adds a column
    outside_fences = re.sub(r"^(`{3,})text\n.*?^\1$", "", text, flags=re.S | re.M)
    assert "<script>" not in outside_fences and "\\<script\\>" in outside_fences
    assert "<script>alert(1)</script>" in text  # inside a code block, where it is only text
    assert "`optimizer.zero_grad()`" in text and "`fc1.weight`" in text
    # learner output with ``` inside cannot close its fence
    assert "````text" in text
    assert LOAD_ERROR in text
    assert "epoch 1 loss" in text and "What your code printed" in text  # failed checks get their output


def test_markdown_fence_and_inline_escaping():
    assert markdown.md_inline("a | b `c|d` [x](http://e) <i>") == "a \\| b `c\\|d` \\[x\\](http://e) \\<i\\>"
    assert markdown.md_fence("``` x ````").startswith("`````text\n")


def test_step_summary_is_appended_in_github_actions(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    report = sample()
    reports.write_reports(report, {"markdown": str(tmp_path / "out.md")}, env={"GITHUB_STEP_SUMMARY": str(summary)})
    reports.write_reports(report, {}, env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and text.count("## 📝 torchgrade") == 2
    assert (tmp_path / "out.md").read_text() == markdown.markdown(report)


def test_no_step_summary_outside_github_actions(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    reports.write_reports(sample(), {"junit": str(tmp_path / "deep" / "dir" / "j.xml")})
    assert (tmp_path / "deep" / "dir" / "j.xml").is_file()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["j.xml"]


def test_unwritable_report_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(reports.OutputError):
        reports.write_reports(sample(), {"html": str(blocker / "report.html")}, env={})


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "-", "--classroom"],
        ["--json", "-", "--html", "-"],
        ["--markdown", "-", "--classroom"],
    ],
)
def test_reports_competing_for_standard_output_are_a_usage_error(args):
    result = CliRunner().invoke(cli.main, [*args, "reference/05_training"], env={"GITHUB_OUTPUT": None})
    assert result.exit_code == 2
    assert "standard output" in result.output


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return {**env, **extra}


def _grade(args: list[str], env: dict) -> subprocess.CompletedProcess:
    grade = Path(sys.executable).with_name("grade")
    command = [str(grade)] if grade.exists() else [sys.executable, "-c", "from torchgrade.cli import main; main()"]
    return subprocess.run(command + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_grade_writes_every_format_end_to_end(tmp_path):
    out = tmp_path / "out"
    github_output, step_summary = tmp_path / "github_output", tmp_path / "step_summary.md"
    env = _env(GITHUB_OUTPUT=str(github_output), GITHUB_STEP_SUMMARY=str(step_summary))
    proc = _grade(
        [
            "reference/05_training",
            "--device",
            "cpu",
            "--json",
            str(out / "report.json"),
            "--html",
            str(out / "report.html"),
            "--markdown",
            str(out / "summary.md"),
            "--junit",
            str(out / "junit.xml"),
            "--gradescope",
            str(out / "gradescope.json"),
            "--prairielearn",
            str(out / "pl.json"),
            "--classroom50",
            str(out / "result.json"),
            "--classroom",
        ],
        env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "torchgrade: score 100/100" in proc.stdout

    report = json.loads((out / "report.json").read_text())
    assert report["score"] == report["max_score"] == 100
    page = (out / "report.html").read_text()
    assert parse_html(page).problems == []
    assert "Training loops" in page and not re.search(r"""(src|href)=["']https?:""", page)
    assert ET.parse(out / "junit.xml").getroot().get("failures") == "0"
    gradescope = json.loads((out / "gradescope.json").read_text())
    assert gradescope["score"] == 100 and all(t["status"] == "passed" for t in gradescope["tests"])
    pl = json.loads((out / "pl.json").read_text())
    assert pl["score"] == 1.0 and pl["gradable"] is True
    c50 = json.loads((out / "result.json").read_text())
    assert c50["score"] == c50["max-score"] == 100
    line = github_output.read_text().strip()
    result = decode(line.removeprefix("result="))
    assert result["status"] == "pass" and result["max_score"] == 100
    assert sum(t["score"] for t in result["tests"]) == 100
    assert step_summary.read_text() == (out / "summary.md").read_text() + "\n"


def test_grade_classroom_without_github_output_prints_only_the_result(tmp_path):
    proc = _grade(["reference/05_training", "--device", "cpu", "--classroom"], _env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    assert decode(proc.stdout.strip())["status"] == "pass"
    assert "torchgrade: score 100/100" in proc.stderr


# --------------------------------------------------------------------------- the workflow


def test_classroom_workflow_has_the_github_classroom_shape():
    """The workflow grade release writes into the learners' repository, torch pinned to 2.99.1 here."""
    text = common.render("release/classroom.yml.j2", torch_version="2.99.1")
    try:
        import yaml  # optional: the structure is checked too when PyYAML is there
    except ImportError:
        yaml = None
    assert re.search(r"^name: Autograding Tests$", text, re.M)
    assert "run-autograding-tests:" in text
    assert "grade --all --classroom --min-score 0" in text
    assert 'TORCHGRADE_RESULTS: "${{steps.torchgrade.outputs.result}}"' in text
    assert "pip install torch==2.99.1 --index-url https://download.pytorch.org/whl/cpu" in text
    if yaml is None:
        return
    data = yaml.safe_load(text)
    assert data["name"] == "Autograding Tests"
    assert set(data["on"]) == {"push", "workflow_dispatch", "repository_dispatch"}
    job = data["jobs"]["run-autograding-tests"]
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    grade = next(s for s in steps if s.get("id") == "torchgrade")
    assert grade["run"].startswith("grade --all --classroom --min-score 0 --device cpu")
    reporter = next(
        s for s in steps if str(s.get("uses", "")).startswith("classroom-resources/autograding-grading-reporter@v1")
    )
    assert reporter["with"]["runners"] == "torchgrade"
    assert reporter["env"]["TORCHGRADE_RESULTS"] == "${{steps.torchgrade.outputs.result}}"
    assert steps.index(grade) < steps.index(reporter)


# --------------------------------------------------------------------------- a real browser


def test_html_report_renders_in_headless_chromium(tmp_path):
    if CHROMIUM is None:
        pytest.skip(f"needs Chromium on PATH, as one of {', '.join(BROWSERS)} (CI: apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text(html.html(sample(training(), unloadable(), uncollected())), encoding="utf-8")
    shot = ROOT / "artifacts" / "report.png"
    shot.parent.mkdir(exist_ok=True)
    shot.unlink(missing_ok=True)
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 1400)
    assert len(data) > 20_000  # a rendered page, not a blank one


def test_paths_in_ci_formats_are_relative_to_the_repository(monkeypatch):
    monkeypatch.chdir(ROOT)
    ex = E(
        "05_training",
        "Training loops",
        str(ROOT / "exercises" / "05_training"),
        [C("a", "a", "failed", 1, message="no")],
    )
    report = sample(ex)
    assert classroom.classroom_result(report)["tests"][0]["test_code"] == "grade exercises/05_training"
    assert ET.fromstring(junit.junit(report)).find(".//testcase").get("file") == "exercises/05_training"
