"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py run:app``.

Every value can be changed from the environment, so one file serves a laptop,
a container and the test suite:

GUNICORN_BIND            address to listen on (default 127.0.0.1:8000; a
                         reverse proxy on the same host talks to it)
WEB_CONCURRENCY          worker processes (default 2 * cores + 1)
GUNICORN_THREADS         threads per worker (default 1: sync workers)
GUNICORN_TIMEOUT         seconds a request may run before its worker is
                         replaced (default 30)
GUNICORN_GRACEFUL_TIMEOUT seconds in-flight requests get after SIGTERM (20)
GUNICORN_KEEPALIVE       seconds an idle keep-alive connection stays open (5)
GUNICORN_ACCESS_LOG      path, "-" for stderr (default) or "off"
GUNICORN_MAX_REQUESTS    recycle a worker after this many requests (0: never)
FORWARDED_ALLOW_IPS      proxies whose X-Forwarded-Proto gunicorn believes
                         (default: TRUSTED_PROXIES, else 127.0.0.1,::1)
GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket; unset disables it

At start the master warns when rate limits would be counted per worker
(production, several workers, in-process storage).

Background jobs (every mail, cleanups) are not run by gunicorn: run
``flask --app run.py jobs worker`` beside it, as a second process with the
same environment (the ``Procfile`` next to this file has both lines; the
README's "Background jobs" says more).
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "").strip() or "127.0.0.1:8000"
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10

# Each worker builds its own app and connection pool: sharing a pool opened
# before fork would hand the same database socket to several processes.
preload_app = False

# The same peers the app believes X-Forwarded-For/-Proto from (app/web/proxy.py).
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS", "").strip()
    or os.environ.get("TRUSTED_PROXIES", "").strip()
    or "127.0.0.1,::1"
)

# gunicorn 25.1+ opens a control socket at one fixed path per user, so a second
# server on the same machine would take it over; only open it when asked.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip() or "-"
accesslog = None if _access_log.lower() == "off" else _access_log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The request id is the app's X-Request-ID response header, so an access log
# line can be matched with the app's own log lines; M is the duration in ms.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
    "rid=%({x-request-id}o)s ms=%(M)s"
)


def on_starting(server: Any) -> None:
    """Say so at start when each worker would keep its own rate-limit counts."""
    from config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError:
        return  # each worker stops with the message when it builds the app
    warning = config.limits_per_worker_warning(server.cfg.workers)
    if warning:
        server.log.warning(warning)
