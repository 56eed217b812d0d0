from app.media.routes import bp

__all__ = ["bp"]
