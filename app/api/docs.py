"""Swagger UI at /api/docs and ReDoc at /api/redoc, served from static/vendor.

Both pages load only local files. They get a policy of their own: the two
libraries set inline styles (and ReDoc runs its search in a blob: worker),
so style-src allows 'unsafe-inline' here and nowhere else. Scripts stay
limited to our origin plus the per-request nonce.
"""

from __future__ import annotations

from flask import render_template

from app import CSP
from app.api.routes import bp
from app.extensions import talisman

# A nonce in style-src would make browsers ignore 'unsafe-inline', so these
# pages put the nonce in script-src only.
SWAGGER_UI_CSP: dict[str, str | list[str]] = {
    **CSP,
    "style-src": ["'self'", "'unsafe-inline'"],
}
REDOC_CSP: dict[str, str | list[str]] = {
    **SWAGGER_UI_CSP,
    "worker-src": ["'self'", "blob:"],
}


@bp.get("/docs")
@bp.doc(hide=True)
@talisman(
    content_security_policy=SWAGGER_UI_CSP,
    content_security_policy_nonce_in=["script-src"],
)
def swagger_ui() -> str:
    return render_template("api/swagger_ui.html")


@bp.get("/redoc")
@bp.doc(hide=True)
@talisman(
    content_security_policy=REDOC_CSP, content_security_policy_nonce_in=["script-src"]
)
def redoc() -> str:
    return render_template("api/redoc.html")
