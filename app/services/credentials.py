"""Random bearer credentials kept only as digests (API tokens, login tokens).

A credential is 32 random bytes handed out once; the database keeps its
SHA-256, so a leaked database cannot be replayed. SHA-256 without a salt is
enough: the credential itself is random, not a password.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything far longer is not ours and
# is refused before hashing.
MAX_TOKEN_LENGTH = 128


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def plausible(token: str | None) -> bool:
    """Whether ``token`` could be one of ours, before any lookup."""
    return bool(token) and len(token or "") <= MAX_TOKEN_LENGTH
