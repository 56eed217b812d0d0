"""Flask commands for operators."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the project's commands to ``app.cli``."""
