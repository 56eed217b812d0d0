from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app import validation
from app.forms import Rule


class RegistrationForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Rule(validation.clean_username)],
        description="3 to 32 letters, digits or underscores. Shown publicly.",
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    email = EmailField(
        "Email",
        validators=[DataRequired(), Rule(validation.clean_email)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired()],
        description="At least 8 characters. A long phrase is easy to remember.",
        render_kw={"autocomplete": "new-password"},
    )
    password2 = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", "The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create account")

    def validate_password(self, field: PasswordField) -> None:
        from wtforms.validators import ValidationError

        try:
            validation.check_password_strength(
                field.data or "", self.username.data, self.email.data
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class LoginForm(FlaskForm):
    username = StringField(
        "Username or email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember_me = BooleanField("Keep me logged in")
    submit = SubmitField("Log in")
