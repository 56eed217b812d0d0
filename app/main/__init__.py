from app.main.routes import bp
from app.main import profile  # noqa: F401  (registers the profile views on bp)

__all__ = ["bp"]
