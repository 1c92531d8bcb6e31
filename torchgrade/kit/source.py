"""Read the learner's source text as code: what it writes, not what its comments and strings say.

For what a run cannot show: a call on a branch the grading machine never takes
(``if device == "cuda": ...`` graded on a CPU), an import that is never used. A check
gets the text from ``run.state.learner.text`` and reports the line it found.
"""

from __future__ import annotations

import io
import re
import tokenize


def code_lines(text: str) -> list[str]:
    """The lines of ``text`` with comments and string literals (docstrings too) blanked out with spaces.

    Columns stay where they were. Text that does not tokenize (a syntax error) loses only
    its whole-line comments.
    """
    lines = text.splitlines()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line for line in lines if not line.lstrip().startswith("#")]
    out = [list(line) for line in lines]
    for tok in tokens:
        if tok.type not in (tokenize.COMMENT, tokenize.STRING):
            continue
        (r0, c0), (r1, c1) = tok.start, tok.end
        for r in range(r0, r1 + 1):
            if r - 1 >= len(out):
                break
            row = out[r - 1]
            lo, hi = (c0 if r == r0 else 0), (c1 if r == r1 else len(row))
            row[lo:hi] = " " * (hi - lo)
    return ["".join(row) for row in out]


def find_in_code(text: str, pattern: re.Pattern[str]) -> list[tuple[int, str, re.Match[str]]]:
    """Every match of ``pattern`` in the code of ``text`` (see :func:`code_lines`), in order.

    Each as ``(line number from 1, that line of the original text stripped, the match)``;
    a pattern may span lines (``\\s`` matches the line breaks between them).
    """
    original, code = text.splitlines(), code_lines(text)
    starts = [0]
    for line in code:
        starts.append(starts[-1] + len(line) + 1)
    found = []
    for match in pattern.finditer("\n".join(code)):
        row = max(i for i, s in enumerate(starts) if s <= match.start())
        found.append((row + 1, original[row].strip(), match))
    return found
