"""Two-factor authentication: TOTP codes (RFC 6238) and recovery codes.

The TOTP secret is stored encrypted (Fernet) with a key derived from
SECRET_KEY, so a copy of the database alone does not give codes; keys in
SECRET_KEY_FALLBACKS still decrypt, so the key can be rotated.

A code is accepted once: the time step it belongs to is written with a
single UPDATE that only succeeds while the stored step is older, so a code
(or an earlier one) sent twice, even at the same moment, counts once.
Recovery codes are spent the same way: one UPDATE ... WHERE used_at IS NULL.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.db_types import utcnow
from app.extensions import db
from app.models import RecoveryCode, User
from app.services.credentials import digest
from app.services.errors import DomainError

ISSUER = "Wren"
PERIOD = 30
DIGITS = 6
# Steps either side of now that still count: clocks drift and people type
# slowly, but a code from 90 s ago (three steps back) is refused.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# 16 symbols of 32 = 80 bits: no need for a slow hash, and one digest
# lookup can spend a code atomically. No i, l, o or u to misread.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_LENGTH = 16
_MISREAD = str.maketrans({"o": "0", "i": "1", "l": "1"})

WRONG_CODE = _l("That code is not valid. Enter the current code from your app.")
WRONG_PASSWORD = _l("That password is not correct.")  # noqa: S105

# Seconds since the epoch; tests replace it to move time without sleeping.
clock: Callable[[], float] = time.time


def _fernet() -> MultiFernet:
    keys = [current_app.config["SECRET_KEY"]]
    keys += list(current_app.config.get("SECRET_KEY_FALLBACKS") or [])
    return MultiFernet([Fernet(_derive(str(key))) for key in keys])


def _derive(secret_key: str) -> bytes:
    # Its own key, so nothing signed with SECRET_KEY elsewhere can be
    # turned into a ciphertext here.
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"wren totp secret"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(key)


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(stored: str) -> str | None:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        return None


def secret_of(user: User) -> str | None:
    """``user``'s TOTP secret in clear, None if unset or not readable."""
    return _decrypt(user.totp_secret) if user.totp_secret else None


def is_enabled(user: User) -> bool:
    return bool(user.two_factor_enabled)


def normalise(code: str | None) -> str:
    """A typed code without spaces or dashes, lower case."""
    return "".join((code or "").split()).replace("-", "").lower()


def begin_setup(user: User) -> str:
    """Give ``user`` a new secret, not yet in force; return it."""
    if is_enabled(user):
        raise DomainError(_l("Two-factor authentication is already on."))
    secret = pyotp.random_base32()
    user.totp_secret = _encrypt(secret)
    user.totp_last_step = None
    db.session.commit()
    return secret


def pending_secret(user: User) -> str | None:
    """The secret being set up (QR code shown, not yet confirmed), if any."""
    if is_enabled(user):
        return None
    return secret_of(user)


def cancel_setup(user: User) -> None:
    if not is_enabled(user):
        user.totp_secret = None
        db.session.commit()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=user.username, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The URI as an SVG QR code, to put in the page itself.

    No XML declaration and no size in pixels: CSS sizes it. Dark modules
    are drawn in black on a white quiet zone so a phone reads it in either
    colour theme.
    """
    qr = segno.make(uri, error="m")
    return qr.svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        title="QR code for your authenticator app",
        svgclass="totp-qr",
    )


def format_secret(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str) -> int | None:
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    now = int(clock()) // PERIOD
    found = None
    # Every candidate is compared, so timing does not tell which matched.
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * PERIOD), code):
            found = step
    return found


def _claim_step(user: User, step: int) -> bool:
    """Record ``step`` as used unless it, or a later one, already was."""
    claimed = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return claimed is not None


def verify_totp(user: User, code: str | None) -> bool:
    """Whether ``code`` is a current TOTP of ``user``, never used before."""
    secret = secret_of(user)
    if secret is None:
        return False
    step = _matching_step(secret, normalise(code))
    return step is not None and _claim_step(user, step)


def use_recovery_code(user: User, code: str | None) -> bool:
    """Spend one of ``user``'s recovery codes; True if this call spent it."""
    typed = normalise(code).translate(_MISREAD)
    if len(typed) != RECOVERY_LENGTH:
        return False
    spent = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest(typed),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return spent is not None


def verify(user: User, code: str | None) -> bool:
    """A current TOTP or an unused recovery code (spent by this call)."""
    if not is_enabled(user):
        return False
    if len(normalise(code)) == DIGITS:
        return verify_totp(user, code)
    return use_recovery_code(user, code)


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def _replace_recovery_codes(user: User) -> list[str]:
    """New codes for ``user``, the old ones deleted; commit left to the caller."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=digest(normalise(code)))
        for code in codes
    )
    return codes


def enable(user: User, code: str | None) -> list[str]:
    """Turn 2FA on once ``code`` proves the app has the pending secret.

    :returns: the recovery codes, in clear this once only.
    :raises DomainError: on ``code`` if it is wrong, or if nothing is pending.
    """
    if is_enabled(user) or secret_of(user) is None:
        raise DomainError(_l("Start again: there is no setup in progress."), "code")
    if not verify_totp(user, code):
        raise DomainError(WRONG_CODE, "code")
    db.session.refresh(user)
    user.two_factor_enabled = True
    codes = _replace_recovery_codes(user)
    db.session.commit()
    return codes


def disable(user: User, password: str | None, code: str | None) -> None:
    """Turn 2FA off: it takes the password and a code (or a recovery code)."""
    if not user.check_password(password or ""):
        raise DomainError(WRONG_PASSWORD, "password")
    if not verify(user, code):
        raise DomainError(WRONG_CODE, "code")
    db.session.refresh(user)
    user.two_factor_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.commit()


def regenerate_recovery_codes(user: User, code: str | None) -> list[str]:
    """New recovery codes (the old ones stop working), after a valid code."""
    if not verify(user, code):
        raise DomainError(WRONG_CODE, "code")
    codes = _replace_recovery_codes(user)
    db.session.commit()
    return codes


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
