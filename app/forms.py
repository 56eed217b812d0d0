"""Form helpers shared by the blueprints' forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError


class Rule:
    """Run one of app.validation's checkers as a WTForms validator."""

    def __init__(self, check: Callable[[Any], object]) -> None:
        self.check = check

    def __call__(self, form: FlaskForm, field: Field) -> None:
        try:
            self.check(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons (follow, logout)."""
