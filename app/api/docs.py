"""Swagger UI at /api/docs and ReDoc at /api/redoc, served from static/vendor.

Both pages load only local files. They get a policy of their own: the two
libraries set inline styles (and ReDoc runs its search in a blob: worker),
so style-src allows 'unsafe-inline' here and nowhere else. Scripts stay
limited to our own files.
"""

from __future__ import annotations

from flask import render_template

from app import CSP
from app.api.routes import bp
from app.web.headers import Policy, content_security_policy

SWAGGER_UI_CSP: Policy = {
    **CSP,
    "style-src": ["'self'", "'unsafe-inline'"],
}
REDOC_CSP: Policy = {
    **SWAGGER_UI_CSP,
    "worker-src": ["'self'", "blob:"],
}


@bp.get("/docs")
@bp.doc(hide=True)
@content_security_policy(SWAGGER_UI_CSP)
def swagger_ui() -> str:
    return render_template("api/swagger_ui.html")


@bp.get("/redoc")
@bp.doc(hide=True)
@content_security_policy(REDOC_CSP)
def redoc() -> str:
    return render_template("api/redoc.html")
