"""Flask's signed-cookie sessions, verifying each distinct cookie once.

A browser sends the same session cookie on request after request, and
Flask checked its HMAC signature and decoded its JSON every time, building
a new serializer for each. Here the serializer is built once per secret key,
and a verified cookie's contents are remembered (a bounded LRU per process),
so the next request with the same cookie only checks its age again.

Only cookies whose values are plain strings, numbers, booleans or None are
remembered: a session holding lists (flashed messages) could be changed in
place by a request, and would then no longer match its cookie.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionMixin,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.lru import BoundedLRU

REMEMBERED = 2048
_PLAIN = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self, size: int = REMEMBERED) -> None:
        self._keys: tuple[Any, ...] | None = None
        self._serializer: URLSafeTimedSerializer | None = None
        self._verified: BoundedLRU[tuple[dict[str, Any], float]] = BoundedLRU(size)
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:
            serializer = super().get_signing_serializer(app)
            with self._lock:
                self._keys, self._serializer = keys, serializer
                self._verified.clear()  # a rotated key must verify again
        return self._serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if "HTTP_COOKIE" not in request.environ:  # API clients send none
            return self.session_class()
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        known = self._verified.get(value)
        if known is not None and time.time() - known[1] <= max_age:
            return self.session_class(known[0])
        try:
            data, signed_at = serializer.loads(
                value, max_age=int(max_age), return_timestamp=True
            )
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
            self._verified.put(value, (dict(data), signed_at.timestamp()))
        return self.session_class(data)

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Flask's, returning early when no cookie is to be written.

        Flask works out all seven cookie settings before it looks whether it
        will write the cookie; most responses do not.
        """
        if not session.modified and not (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        ):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
