"""Configuration classes, read from the environment when the factory builds them."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import overload
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated value as a list, blanks dropped."""
    value = env_str(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_public_url(value: str | None) -> str | None:
    """Check PUBLIC_URL: an http(s) origin, kept without a trailing slash."""
    if value is None:
        return None
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ConfigError(
            "PUBLIC_URL must be the site's public origin, scheme and host only, "
            f"e.g. https://wren.example.org, not {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def ip_networks(name: str, default: str) -> list[str]:
    """Comma-separated IP addresses or CIDR networks, each checked."""
    values = env_list(name, default)
    for value in values:
        try:
            ipaddress.ip_network(value)
        except ValueError:
            raise ConfigError(
                f"{name} must list IP addresses or networks (10.0.0.0/8), not {value!r}"
            ) from None
    return values


def normalise_database_url(url: str) -> str:
    """Route plain postgres URLs to psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_dir: Path) -> str:
    """Return a random key kept in instance/ so dev sessions survive restarts."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        key = key_file.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"

    def __init__(self) -> None:
        instance_dir = Path(env_str("WREN_INSTANCE_PATH", str(INSTANCE_DIR)))
        self.INSTANCE_DIR = instance_dir
        self.SECRET_KEY = self.secret_key(instance_dir)

        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env_str("DATABASE_URL", f"sqlite:///{instance_dir / self.sqlite_name}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 5000)
        # Seconds a connection attempt may take before the request answers 503.
        self.DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)

        self.MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
        self.POSTS_PER_PAGE = env_int("POSTS_PER_PAGE", 25)
        self.AVATAR_PROVIDER = env_str("AVATAR_PROVIDER", "gravatar")
        self.PASSWORD_HASH_METHOD = env_str("PASSWORD_HASH_METHOD", "scrypt")
        self.LAST_SEEN_INTERVAL = env_int("LAST_SEEN_INTERVAL", 60)
        # One Redis for rate limits and shared caches, when one machine is
        # not enough; each can also be pointed elsewhere on its own.
        self.REDIS_URL = env_str("REDIS_URL")
        self.configure_cache()

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_DURATION = env_int("REMEMBER_COOKIE_DAYS", 30) * 86400
        # A login without remember-me ends after this long unused (seconds).
        self.LOGIN_IDLE_TIMEOUT = env_int("LOGIN_IDLE_TIMEOUT", 7 * 86400)

        self.WTF_CSRF_ENABLED = env_bool("WTF_CSRF_ENABLED", True)
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

        self.BOOTSTRAP_SERVE_LOCAL = True

        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = env_str(
            "RATELIMIT_STORAGE_URI", self.REDIS_URL or "memory://"
        )
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10/minute")
        self.RATELIMIT_LOGIN_HOURLY = env_str("RATELIMIT_LOGIN_HOURLY", "100/hour")
        self.RATELIMIT_REGISTER = env_str("RATELIMIT_REGISTER", "10/hour")
        self.RATELIMIT_EMAIL = env_str("RATELIMIT_EMAIL", "5/hour")
        self.RATELIMIT_API_TOKENS = env_str("RATELIMIT_API_TOKENS", "10/minute")
        # Per account, pages and API together.
        self.MESSAGE_RATE_LIMIT = env_str("MESSAGE_RATE_LIMIT", "30 per minute")
        # Two-factor codes, per account whatever the client (and per client).
        self.RATELIMIT_2FA = env_str("RATELIMIT_2FA", "5/minute")
        self.REPORT_RATE_LIMIT = env_str("REPORT_RATE_LIMIT", "20 per hour")
        # open: anyone registers; approval: a moderator approves each new
        # account; invite: only through an invite link.
        self.REGISTRATION_MODE = env_str("REGISTRATION_MODE", "open").strip().lower()
        if self.REGISTRATION_MODE not in ("open", "approval", "invite"):
            raise ConfigError(
                "REGISTRATION_MODE must be open, approval or invite, "
                f"not {self.REGISTRATION_MODE!r}"
            )

        self.MAIL_BACKEND = env_str("MAIL_BACKEND", self.default_mail_backend)
        self.MAIL_FILE_PATH = env_str("MAIL_FILE_PATH", str(instance_dir / "mail"))
        self.MAIL_SERVER = env_str("MAIL_SERVER", "localhost")
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
        self.MAIL_USERNAME = env_str("MAIL_USERNAME")
        self.MAIL_PASSWORD = env_str("MAIL_PASSWORD")
        self.MAIL_DEFAULT_SENDER = env_str(
            "MAIL_DEFAULT_SENDER", "Wren <wren@localhost>"
        )
        self.MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)

        self.CONFIRM_TOKEN_MAX_AGE = env_int("CONFIRM_TOKEN_MAX_AGE", 2 * 86400)
        self.RESET_TOKEN_MAX_AGE = env_int("RESET_TOKEN_MAX_AGE", 3600)
        self.API_TOKEN_MAX_AGE = env_int("API_TOKEN_MAX_AGE", 3600)

        self.FORCE_HTTPS = env_bool("FORCE_HTTPS", False)
        # Every external link (mail, redirects) is built on this origin; unset
        # in development and testing, where links take the request's host.
        self.PUBLIC_URL = self.public_url()
        # Flask's own setting: None accepts any Host (production sets it).
        self.TRUSTED_HOSTS: list[str] | None = None
        # X-Forwarded-For/-Proto count only from these direct peers, for
        # PROXY_FIX_COUNT proxies (0: never).
        self.TRUSTED_PROXIES = ip_networks("TRUSTED_PROXIES", "127.0.0.1,::1")
        self.PROXY_FIX_COUNT = env_int("PROXY_FIX_COUNT", 1)
        self.LOG_LEVEL = env_str("LOG_LEVEL", "INFO")

        # Uploaded images (app/services/media.py).
        self.MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(instance_dir / "media")))
        # Background jobs (app/jobs.py): Huey on a SQLite file in the instance
        # folder, or on Redis when JOBS_REDIS_URL or REDIS_URL is set.
        self.JOBS_REDIS_URL = env_str("JOBS_REDIS_URL", self.REDIS_URL)
        self.JOBS_SQLITE_PATH = env_str(
            "JOBS_SQLITE_PATH", str(instance_dir / "jobs.sqlite")
        )
        # Run each job at once, in the process that asks for it (tests).
        self.JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE", self.jobs_immediate)
        # Failed jobs shown on /admin are deleted after this many days.
        self.JOB_FAILURES_KEEP_DAYS = env_int("JOB_FAILURES_KEEP_DAYS", 30)
        # Mail is delivered by a job (app/services/mail.py). A failed try is
        # retried MAIL_RETRIES times, waiting MAIL_RETRY_DELAY seconds, then
        # twice as long each time, at most an hour: the defaults (10, 30 s)
        # wait 30 s, 1, 2, 4, 8, 16, 32 min, then 1 h three times, so mail
        # survives an SMTP outage of about four hours.
        self.MAIL_RETRIES = env_int("MAIL_RETRIES", 10)
        self.MAIL_RETRY_DELAY = env_int("MAIL_RETRY_DELAY", 30)
        # Languages (app/i18n.py): the first is the default.
        self.LANGUAGES = ["en", "es"]
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"

    sqlite_name = "wren.sqlite"
    default_mail_backend = "console"
    jobs_immediate = False

    def configure_cache(self) -> None:
        """Flask-Caching for shared fragments: Redis if given, else in-process.

        CACHE_TYPE (e.g. NullCache to measure without it) overrides.
        """
        redis_url = env_str("CACHE_REDIS_URL", self.REDIS_URL)
        default = "RedisCache" if redis_url else "app.web.memory_cache.LRUCache"
        self.CACHE_TYPE = env_str("CACHE_TYPE", default)
        # NullCache is a deliberate choice here (measuring without the cache).
        self.CACHE_NO_NULL_WARNING = True
        self.CACHE_REDIS_URL = redis_url
        self.CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "wren:")
        # Keys name what they hold, so entries are never stale; the timeout
        # only lets unused ones go.
        self.CACHE_DEFAULT_TIMEOUT = env_int("CACHE_DEFAULT_TIMEOUT", 86400)
        self.CACHE_THRESHOLD = env_int("CACHE_THRESHOLD", 10000)  # in-process

    def secret_key(self, instance_dir: Path) -> str:
        return env_str("SECRET_KEY") or instance_secret_key(instance_dir)

    def public_url(self) -> str | None:
        return parse_public_url(env_str("PUBLIC_URL"))

    def limits_per_worker_warning(self, workers: int) -> str | None:
        """What to log when each of ``workers`` processes would count alone.

        In-process (memory://) counters are per process, so with several
        workers every one of them allows the full limit again.
        """
        if (
            self.ENV_NAME != "production"
            or not self.RATELIMIT_ENABLED
            or workers < 2
            or not str(self.RATELIMIT_STORAGE_URI).startswith("memory://")
        ):
            return None
        return (
            f"Rate limits are counted by each of the {workers} workers alone: "
            "RATELIMIT_STORAGE_URI is memory://, so every worker allows the full "
            f"limit again (a login limit of {self.RATELIMIT_LOGIN} becomes "
            f"{workers} times that). Set REDIS_URL (or RATELIMIT_STORAGE_URI="
            "redis://...) so that limits hold per server, or run one worker "
            "(WEB_CONCURRENCY=1)."
        )


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # `make run` is one process: mail and exports happen at once, with no
    # worker to start (JOBS_IMMEDIATE=false tries the real queue).
    jobs_immediate = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    sqlite_name = "wren-test.sqlite"
    default_mail_backend = "locmem"
    jobs_immediate = True

    def __init__(self) -> None:
        super().__init__()
        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", False)
        self.PASSWORD_HASH_METHOD = env_str("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1")


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.FORCE_HTTPS = env_bool("FORCE_HTTPS", True)
        self.PREFERRED_URL_SCHEME = "https"
        # Hosts other than the public one (and TRUSTED_HOSTS) answer 400.
        host = urlsplit(self.PUBLIC_URL or "").hostname
        self.TRUSTED_HOSTS = [str(host), *env_list("TRUSTED_HOSTS")]

    def secret_key(self, instance_dir: Path) -> str:
        key = env_str("SECRET_KEY")
        if not key:
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without a "
                "secret signing key: generate one with "
                '`python -c "import secrets; print(secrets.token_hex(32))"` '
                "and pass it in the SECRET_KEY environment variable."
            )
        return key

    def public_url(self) -> str:
        url = super().public_url()
        if not url:
            raise ConfigError(
                "PUBLIC_URL is not set. Production refuses to start without the "
                "site's public origin, e.g. PUBLIC_URL=https://wren.example.org: "
                "links in mail and redirects are built on it, never on the "
                "Host header a request brings."
            )
        return url


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    name = (name or env_str("WREN_CONFIG", "development") or "development").lower()
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(
            f"WREN_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None
