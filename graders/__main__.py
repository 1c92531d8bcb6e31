"""``python -m graders`` is ``grade``."""

from graders.cli import entry

entry()
