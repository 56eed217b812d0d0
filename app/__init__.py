"""Wren: a multi-user microblog. ``create_app`` is the one application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.cookie_sessions import RememberingSessionInterface
from config import BASE_DIR, Config, load_config

__all__ = ["create_app"]

CSP: dict[str, str | list[str]] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
GRAVATAR_ORIGIN = "https://www.gravatar.com"


class WrenApp(APIFlask):
    """APIFlask with one answer remembered.

    Flask asks ensure_sync() about every hook and the view on every request
    (a dozen times), and each answer inspects the function's code flags;
    a function's answer never changes, so it is looked up after the first.
    """

    _SYNC_MEMO_LIMIT = 4096  # hooks and views are a few dozen; never unbounded

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        memo: dict[Any, Callable[..., Any]] = self.__dict__.setdefault("_sync_memo", {})
        try:
            return memo[func]
        except KeyError:
            result = super().ensure_sync(func)
            if len(memo) < self._SYNC_MEMO_LIMIT:
                memo[func] = result
            return result


def create_app(config_name: str | None = None) -> APIFlask:
    """Build the application for ``config_name`` (default: $WREN_CONFIG)."""
    config = load_config(config_name)
    app = WrenApp(
        __name__,
        title="Wren API",
        version="1.0.0",
        spec_path="/api/openapi.json",
        docs_path=None,  # our own /api/docs and /api/redoc serve local assets
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(config.INSTANCE_DIR),
    )
    app.config.from_object(config)
    app.session_interface = RememberingSessionInterface()
    app.config["WREN_CONFIG"] = config.ENV_NAME
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    configure_logging(app, config)
    from app.security import init_https_redirect

    init_https_redirect(app)
    configure_database(app, config)
    register_extensions(app, config)
    register_blueprints(app)
    register_request_hooks(app)
    register_commands(app)

    if config.PROXY_FIX_COUNT > 0:
        n = config.PROXY_FIX_COUNT
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    return app


def configure_logging(app: APIFlask, config: Config) -> None:
    from app import request_id
    from app.request_id import RequestIdFilter

    # First hook of all: redirects, CSRF and rate-limit answers from other
    # extensions' hooks carry an id too.
    request_id.init_app(app)
    app.logger.setLevel(config.LOG_LEVEL or "INFO")
    for handler in app.logger.handlers or logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    if not app.logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
            )
        )
        handler.addFilter(RequestIdFilter())
        app.logger.addHandler(handler)


def configure_database(app: APIFlask, config: Config) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if uri.startswith("sqlite"):
        # The busy timeout is applied per connection in app.database.
        options.setdefault("connect_args", {"timeout": 0})
        # A file cannot drop the connection: a ping would only cost a query.
        options["pool_pre_ping"] = False
    elif uri.startswith("postgresql"):
        options.setdefault(
            "connect_args", {"connect_timeout": config.DATABASE_CONNECT_TIMEOUT}
        )
        options.setdefault("pool_timeout", config.DATABASE_CONNECT_TIMEOUT)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: APIFlask, config: Config) -> None:
    from app import database
    from app.extensions import (
        bootstrap,
        csrf,
        db,
        limiter,
        login_manager,
        mail,
        migrate,
    )

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    from app.ratelimits import check_only_limited_views

    check_only_limited_views(app, limiter)
    mail.init_app(app)
    bootstrap.init_app(app)

    from app import page_cache

    page_cache.init_app(app)

    from app import auth_session

    auth_session.init_app(app, login_manager)

    from app import security_headers

    csp = dict(CSP)
    if config.AVATAR_PROVIDER == "gravatar":
        csp["img-src"] = ["'self'", "data:", GRAVATAR_ORIGIN]
    security_headers.init_app(app, csp, hsts=config.ENV_NAME == "production")


def register_blueprints(app: APIFlask) -> None:
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.errors import register_error_handlers
    from app.extensions import csrf
    from app.health import bp as health_bp
    from app.main import bp as main_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    csrf.exempt(api_bp)  # the API authenticates with headers, not cookies
    app.register_blueprint(api_bp, url_prefix="/api")
    register_error_handlers(app)


def register_request_hooks(app: APIFlask) -> None:
    from app import post_cards, templating

    templating.init_app(app)
    post_cards.init_app(app)


def register_commands(app: APIFlask) -> None:
    from app.cli import register

    register(app)
