"""``python -m torchgrade`` is ``grade``."""

from torchgrade.cli import entry

entry()
