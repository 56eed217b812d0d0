from app.main import (
    avatar_settings,  # noqa: F401  (registers /settings/avatar)
    blocks,  # noqa: F401  (registers blocking, muting and /settings/blocks)
    conversation,  # noqa: F401  (registers threads, likes, tags, notifications)
    export,  # noqa: F401  (registers /settings/export)
    feeds,  # noqa: F401  (registers the Atom feeds on bp)
    messages,  # noqa: F401  (registers the private message views on bp)
    profile,  # noqa: F401  (registers the profile views on bp)
    reports,  # noqa: F401  (registers reporting posts and accounts)
    search,  # noqa: F401  (registers the search page on bp)
    sessions,  # noqa: F401  (registers the sessions page on bp)
    settings,  # noqa: F401  (registers the settings views on bp)
    settings_invites,  # noqa: F401  (registers /settings/invites)
    two_factor,  # noqa: F401  (registers the two-factor settings on bp)
)
from app.main.routes import bp

__all__ = ["bp"]
