"""Wren: a multi-user microblog. ``create_app`` is the one application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from apiflask import APIFlask

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


def create_app(config_name: str | None = None) -> APIFlask:
    """Build the application for ``config_name`` (default: $WREN_CONFIG)."""
    config = load_config(config_name)
    app = APIFlask(
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
    app.config["WREN_CONFIG"] = config.ENV_NAME
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    configure_logging(app, config)
    from app.web import security

    security.init_app(app)
    configure_database(app, config)
    register_extensions(app, config)
    register_blueprints(app)
    register_jobs(app)
    register_commands(app)

    from app.web.proxy import TrustedProxyFix

    app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, config.TRUSTED_PROXIES, hops=config.PROXY_FIX_COUNT
    )
    return app


def configure_logging(app: APIFlask, config: Config) -> None:
    from app.web import request_id
    from app.web.request_id import RequestIdFilter

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
        cache,
        csrf,
        db,
        limiter,
        mail,
        migrate,
    )

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    cache.init_app(app)

    from app import i18n

    i18n.init_app(app)

    from app import json, web

    json.init_app(app)
    csp = dict(CSP)
    if config.AVATAR_PROVIDER == "gravatar":
        csp["img-src"] = ["'self'", "data:", GRAVATAR_ORIGIN]
    web.init_app(app, csp, hsts=config.ENV_NAME == "production")


def register_blueprints(app: APIFlask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.errors import register_error_handlers
    from app.extensions import csrf
    from app.health import bp as health_bp
    from app.main import bp as main_bp
    from app.media import bp as media_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    csrf.exempt(api_bp)  # the API authenticates with headers, not cookies
    app.register_blueprint(api_bp, url_prefix="/api")
    register_error_handlers(app)


# Modules that declare background jobs: imported before the jobs are bound.
JOB_MODULES: tuple[str, ...] = (
    "app.services.mail",
    "app.services.job_failures",
    "app.media.jobs",
    "app.services.exports",  # building data exports, and expiring them
)


def register_jobs(app: APIFlask) -> None:
    import importlib

    from app.jobs import jobs

    for module in JOB_MODULES:
        importlib.import_module(module)
    jobs.init_app(app)


def register_commands(app: APIFlask) -> None:
    from app.cli import register

    register(app)
