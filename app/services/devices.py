"""A short readable name for the device behind a User-Agent string."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from ua_parser import parse


@lru_cache(maxsize=1024)
def _families(user_agent: str) -> tuple[str | None, str | None]:
    """The browser and system names, None where unknown.

    Cached: the parser runs hundreds of patterns and a user has few devices.
    """
    if not user_agent.strip():
        return None, None
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    browser = None if browser in {None, "Other"} else browser
    system = None if system in {None, "Other"} else system
    return browser, system


def describe(user_agent: str) -> str:
    """E.g. "Firefox on Linux", "Mobile Safari on iOS", or "Unknown device",
    in the reader's language (so built per call, not cached)."""
    browser, system = _families(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")
