"""torchgrade: grades hands-on PyTorch exercises against their reference implementations."""

__version__ = "0.1.0"
