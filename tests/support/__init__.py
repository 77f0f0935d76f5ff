"""Helpers shared by the test suites: a normal package (on `pythonpath`, see pyproject.toml),
so what a test imports does not depend on which folders pytest was asked to collect."""
