"""A command whose module fails to import, as after a bad deploy."""

raise ImportError("no module named 'vendored_dependency' (a test command)")
