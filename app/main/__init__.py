from app.main import (
    profile,  # noqa: F401  (registers the profile views on bp)
    settings,  # noqa: F401  (registers the settings views on bp)
)
from app.main.routes import bp

__all__ = ["bp"]
