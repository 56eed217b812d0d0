"""A short readable name for the device behind a User-Agent string."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

UNKNOWN = "Unknown device"


@lru_cache(maxsize=1024)
def describe(user_agent: str) -> str:
    """E.g. "Firefox on Linux", "Mobile Safari on iOS", or "Unknown device".

    Cached: the parser runs hundreds of patterns and a user has few devices.
    """
    if not user_agent.strip():
        return UNKNOWN
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    browser = None if browser in {None, "Other"} else browser
    system = None if system in {None, "Other"} else system
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or UNKNOWN
