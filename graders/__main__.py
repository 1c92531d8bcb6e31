"""``python -m graders`` is ``grade``."""

from graders.cli import main

main()
