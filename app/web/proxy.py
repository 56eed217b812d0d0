"""Believe X-Forwarded-For and -Proto only from our own proxies.

werkzeug's ProxyFix takes the headers from whoever sends them. In front of
it, :class:`TrustedProxyFix` looks at the direct peer (REMOTE_ADDR): from an
address in TRUSTED_PROXIES the request goes through ProxyFix; from anyone
else the forwarded headers are dropped, so a client cannot pick its own
address (and rate-limit bucket) or claim https. X-Forwarded-Host, -Port and
-Prefix are never applied: links are built on PUBLIC_URL instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Every header ProxyFix could read, as WSGI environ keys.
FORWARDED_HEADERS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)


class TrustedProxyFix:
    """Apply ProxyFix (``hops`` proxies) only to requests from ``trusted``.

    :param trusted: IP addresses or CIDR networks of the direct peers whose
        forwarded headers count.
    :param hops: how many proxies in front of the app append to the headers;
        0 ignores them from everyone.
    """

    def __init__(
        self, wsgi_app: WSGIApplication, trusted: Iterable[str], hops: int = 1
    ) -> None:
        self.wsgi_app = wsgi_app
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(value) for value in trusted
        )
        self.hops = hops
        self.fixed = ProxyFix(
            wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )

    def trusts(self, peer: str | None) -> bool:
        if not peer or self.hops <= 0:
            return False
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:  # a Unix socket, or no address at all
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for key in FORWARDED_HEADERS:
            environ.pop(key, None)
        return self.wsgi_app(environ, start_response)
