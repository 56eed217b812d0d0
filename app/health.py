"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import jsonify
from flask.typing import ResponseReturnValue

from app.database import database_is_ready

bp = APIBlueprint("health", __name__, enable_openapi=False)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    if database_is_ready():
        return jsonify(status="ok")
    return jsonify(status="unavailable", message="The database is not answering."), 503
