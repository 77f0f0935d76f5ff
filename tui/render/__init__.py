"""Turning what the console shows into terminal cells: pure helpers over rich/Textual strips,
no widgets (those are in `tui.widgets`)."""
