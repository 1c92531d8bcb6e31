"""The grading engine: sessions, the pytest plugin, sandboxes, and what crosses between processes."""
