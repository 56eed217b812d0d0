"""Forms for reports, moderation and invites."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.moderation_models import COMMENT_MAX, NOTE_MAX
from app.services.invites import MAX_DAYS, MAX_USES_LIMIT

REASON_CHOICES = [
    SelectChoice("spam", "Spam"),
    SelectChoice("abuse", "Abuse or harassment"),
    SelectChoice("illegal", "Illegal content"),
    SelectChoice("other", "Something else"),
]
ACTION_CHOICES = [
    SelectChoice("dismiss", "Dismiss: nothing wrong"),
    SelectChoice("delete_post", "Delete the post"),
    SelectChoice("suspend_user", "Suspend the account"),
]


class ReportForm(FlaskForm):
    reason = SelectField("Reason", choices=REASON_CHOICES, validators=[DataRequired()])
    comment = TextAreaField(
        "Anything the moderators should know (optional)",
        validators=[Length(max=COMMENT_MAX)],
        description=f"Up to {COMMENT_MAX} characters. Only moderators see it.",
        render_kw={"rows": 4, "maxlength": COMMENT_MAX},
    )
    submit = SubmitField("Send report")


class ResolveForm(FlaskForm):
    action = SelectField("Action", choices=ACTION_CHOICES, validators=[DataRequired()])
    note = StringField("Note", validators=[Length(max=NOTE_MAX)])
    submit = SubmitField("Resolve")


class SuspendForm(FlaskForm):
    reason = StringField(
        "Reason", validators=[Length(max=NOTE_MAX)], render_kw={"maxlength": NOTE_MAX}
    )
    submit = SubmitField("Suspend")


class InviteForm(FlaskForm):
    max_uses = IntegerField(
        "Uses",
        default=1,
        validators=[DataRequired(), NumberRange(1, MAX_USES_LIMIT)],
        description=f"How many accounts may register with it (1 to {MAX_USES_LIMIT}).",
    )
    days = IntegerField(
        "Valid for (days)",
        default=7,
        validators=[Optional(), NumberRange(1, MAX_DAYS)],
        description=f"1 to {MAX_DAYS}; leave empty for no expiry.",
    )
    submit = SubmitField("Create invite link")
