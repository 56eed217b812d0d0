"""Forms for reports, moderation and invites."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.moderation_models import COMMENT_MAX, NOTE_MAX
from app.services.invites import MAX_DAYS, MAX_USES_LIMIT

REASON_CHOICES = [
    SelectChoice("spam", _l("Spam")),
    SelectChoice("abuse", _l("Abuse or harassment")),
    SelectChoice("illegal", _l("Illegal content")),
    SelectChoice("other", _l("Something else")),
]
ACTION_CHOICES = [
    SelectChoice("dismiss", _l("Dismiss: nothing wrong")),
    SelectChoice("delete_post", _l("Delete the post")),
    SelectChoice("suspend_user", _l("Suspend the account")),
]


class ReportForm(FlaskForm):
    reason = SelectField(
        _l("Reason"), choices=REASON_CHOICES, validators=[DataRequired()]
    )
    comment = TextAreaField(
        _l("Anything the moderators should know (optional)"),
        validators=[Length(max=COMMENT_MAX)],
        description=_l(
            "Up to %(max)d characters. Only moderators see it.", max=COMMENT_MAX
        ),
        render_kw={"rows": 4, "maxlength": COMMENT_MAX},
    )
    submit = SubmitField(_l("Send report"))


class ResolveForm(FlaskForm):
    action = SelectField(
        _l("Action"), choices=ACTION_CHOICES, validators=[DataRequired()]
    )
    note = StringField(_l("Note"), validators=[Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Resolve"))


class SuspendForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        validators=[Length(max=NOTE_MAX)],
        render_kw={"maxlength": NOTE_MAX},
    )
    submit = SubmitField(_l("Suspend"))


class InviteForm(FlaskForm):
    max_uses = IntegerField(
        _l("Uses"),
        default=1,
        validators=[DataRequired(), NumberRange(1, MAX_USES_LIMIT)],
        description=_l(
            "How many accounts may register with it (1 to %(max)d).",
            max=MAX_USES_LIMIT,
        ),
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=7,
        validators=[Optional(), NumberRange(1, MAX_DAYS)],
        description=_l("1 to %(max)d; leave empty for no expiry.", max=MAX_DAYS),
    )
    submit = SubmitField(_l("Create invite link"))
