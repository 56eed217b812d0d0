"""JSON API blueprint."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("api", __name__)
