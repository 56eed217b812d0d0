from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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
        _l("Username"),
        validators=[DataRequired(), Rule(validation.clean_username)],
        description=_l("3 to 32 letters, digits or underscores. Shown publicly."),
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Rule(validation.clean_email)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 8 characters. A long phrase is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    password2 = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(),
            EqualTo("password", _l("The passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    # REGISTRATION_MODE=invite: the code from the link, carried along.
    invite = HiddenField()
    submit = SubmitField(_l("Create account"))

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
        _l("Username or email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember_me = BooleanField(_l("Keep me logged in"))
    submit = SubmitField(_l("Log in"))


def _new_password_fields(
    label: str | LazyString,
) -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            label,
            validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
            description=_l("At least 8 characters. A long phrase is easy to remember."),
            render_kw={"autocomplete": "new-password"},
        ),
        PasswordField(
            _l("Repeat new password"),
            validators=[
                DataRequired(),
                EqualTo("password", _l("The passwords do not match.")),
            ],
            render_kw={"autocomplete": "new-password"},
        ),
    )


CURRENT_PASSWORD = _l("Current password")
CODE = _l("Code")


def _current_password_field(
    label: str | LazyString = CURRENT_PASSWORD,
) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class ResetPasswordRequestForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("The address of your Wren account."),
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password, password2 = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Set new password"))


class ChangePasswordForm(FlaskForm):
    current_password = _current_password_field()
    password, password2 = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change password"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        validators=[DataRequired(), Rule(validation.clean_email)],
        description=_l(
            "We will send a link there; the change takes effect when you follow it."
        ),
        render_kw={"autocomplete": "email"},
    )
    password = _current_password_field(_l("Your password"))
    submit = SubmitField(_l("Change email"))


class DeleteAccountForm(FlaskForm):
    password = _current_password_field(_l("Your password"))
    submit = SubmitField(_l("Delete my account"))


TOTP_INPUT = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "none",
    "spellcheck": "false",
}
# Recovery codes have letters: a numeric keypad could not type them.
RECOVERY_INPUT = {**TOTP_INPUT, "inputmode": "text", "autocomplete": "off"}


def _code_field(
    label: str | LazyString = CODE, field_id: str | None = None
) -> StringField:
    """A field for a TOTP or a recovery code (letters allowed)."""
    return StringField(
        label,
        validators=[DataRequired(), Length(max=64)],
        id=field_id,
        description=_l(
            "The 6-digit code from your authenticator app, or one of your "
            "recovery codes."
        ),
        render_kw={**RECOVERY_INPUT, "autocomplete": "one-time-code"},
    )


class TwoFactorLoginForm(FlaskForm):
    code = StringField(
        _l("Code from your app"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("The 6-digit code your authenticator app shows for Wren."),
        render_kw=TOTP_INPUT,
    )
    submit = SubmitField(_l("Verify"))

    def for_recovery_code(self) -> None:
        """Ask for a recovery code instead, with a keyboard that has letters."""
        self.code.label.text = _("Recovery code")
        self.code.description = _("One of the codes you saved; each works once.")
        self.code.render_kw = RECOVERY_INPUT


class TwoFactorStartForm(FlaskForm):
    action = HiddenField(default="start", id="start-action")
    submit = SubmitField(_l("Turn on two-factor authentication"))


class TwoFactorCancelForm(FlaskForm):
    action = HiddenField(default="cancel", id="cancel-action")
    submit = SubmitField(_l("Cancel"), id="cancel-submit")


class TwoFactorConfirmForm(FlaskForm):
    action = HiddenField(default="confirm")
    code = StringField(
        _l("Code from your app"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Enter the 6-digit code your app shows to confirm."),
        render_kw=TOTP_INPUT,
    )
    submit = SubmitField(_l("Confirm and turn on"))


class TwoFactorRegenerateForm(FlaskForm):
    action = HiddenField(default="regenerate", id="regenerate-action")
    code = _code_field(field_id="regenerate-code")
    submit = SubmitField(_l("Make new recovery codes"), id="regenerate-submit")


class TwoFactorDisableForm(FlaskForm):
    action = HiddenField(default="disable", id="disable-action")
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=validation.PASSWORD_MAX)],
        id="disable-password",
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field(field_id="disable-code")
    submit = SubmitField(_l("Turn off two-factor authentication"), id="disable-submit")
