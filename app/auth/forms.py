from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
)
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
    # REGISTRATION_MODE=invite: the code from the link, carried along.
    invite = HiddenField()
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


def _new_password_fields(label: str) -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            label,
            validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
            description="At least 8 characters. A long phrase is easy to remember.",
            render_kw={"autocomplete": "new-password"},
        ),
        PasswordField(
            "Repeat new password",
            validators=[
                DataRequired(),
                EqualTo("password", "The passwords do not match."),
            ],
            render_kw={"autocomplete": "new-password"},
        ),
    )


def _current_password_field(label: str = "Current password") -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class ResetPasswordRequestForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        description="The address of your Wren account.",
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    password, password2 = _new_password_fields("New password")
    submit = SubmitField("Set new password")


class ChangePasswordForm(FlaskForm):
    current_password = _current_password_field()
    password, password2 = _new_password_fields("New password")
    submit = SubmitField("Change password")


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        "New email address",
        validators=[DataRequired(), Rule(validation.clean_email)],
        description="We will send a link there; the change takes effect when "
        "you follow it.",
        render_kw={"autocomplete": "email"},
    )
    password = _current_password_field("Your password")
    submit = SubmitField("Change email")


class DeleteAccountForm(FlaskForm):
    password = _current_password_field("Your password")
    submit = SubmitField("Delete my account")


TOTP_INPUT = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "none",
    "spellcheck": "false",
}
# Recovery codes have letters: a numeric keypad could not type them.
RECOVERY_INPUT = {**TOTP_INPUT, "inputmode": "text", "autocomplete": "off"}


def _code_field(label: str = "Code", field_id: str | None = None) -> StringField:
    """A field for a TOTP or a recovery code (letters allowed)."""
    return StringField(
        label,
        validators=[DataRequired(), Length(max=64)],
        id=field_id,
        description="The 6-digit code from your authenticator app, or one of "
        "your recovery codes.",
        render_kw={**RECOVERY_INPUT, "autocomplete": "one-time-code"},
    )


class TwoFactorLoginForm(FlaskForm):
    code = StringField(
        "Code from your app",
        validators=[DataRequired(), Length(max=64)],
        description="The 6-digit code your authenticator app shows for Wren.",
        render_kw=TOTP_INPUT,
    )
    submit = SubmitField("Verify")

    def for_recovery_code(self) -> None:
        """Ask for a recovery code instead, with a keyboard that has letters."""
        self.code.label.text = "Recovery code"
        self.code.description = "One of the codes you saved; each works once."
        self.code.render_kw = RECOVERY_INPUT


class TwoFactorStartForm(FlaskForm):
    action = HiddenField(default="start", id="start-action")
    submit = SubmitField("Turn on two-factor authentication")


class TwoFactorCancelForm(FlaskForm):
    action = HiddenField(default="cancel", id="cancel-action")
    submit = SubmitField("Cancel", id="cancel-submit")


class TwoFactorConfirmForm(FlaskForm):
    action = HiddenField(default="confirm")
    code = StringField(
        "Code from your app",
        validators=[DataRequired(), Length(max=64)],
        description="Enter the 6-digit code your app shows to confirm.",
        render_kw=TOTP_INPUT,
    )
    submit = SubmitField("Confirm and turn on")


class TwoFactorRegenerateForm(FlaskForm):
    action = HiddenField(default="regenerate", id="regenerate-action")
    code = _code_field(field_id="regenerate-code")
    submit = SubmitField("Make new recovery codes", id="regenerate-submit")


class TwoFactorDisableForm(FlaskForm):
    action = HiddenField(default="disable", id="disable-action")
    password = PasswordField(
        "Your password",
        validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
        id="disable-password",
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field(field_id="disable-code")
    submit = SubmitField("Turn off two-factor authentication", id="disable-submit")
