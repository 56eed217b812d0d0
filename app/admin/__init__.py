"""The moderators' pages under /admin."""

from app.admin import views  # noqa: F401  (registers the views on bp)
from app.admin.views import bp

__all__ = ["bp"]
