"""livetop: a terminal console for live video sessions across streaming providers."""

__version__ = "0.1.0"
